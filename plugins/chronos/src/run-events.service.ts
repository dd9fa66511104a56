import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import { toRunView, type RunRecord, type RunView } from './run-record';

/**
 * What happened to a run, as `GET /v1/scheduler/events` streams it (SSE, the type as the event
 * name): `run_scheduled` (recorded), `run_queued` (due, waiting for an offer), `run_launched`,
 * `run_running`, `run_retrying`, `run_succeeded`, `run_failed`, `run_killed`, `run_skipped`.
 */
export type RunEventType =
  | 'run_scheduled'
  | 'run_queued'
  | 'run_launched'
  | 'run_running'
  | 'run_retrying'
  | 'run_succeeded'
  | 'run_failed'
  | 'run_killed'
  | 'run_skipped';

export interface RunEvent {
  type: RunEventType;
  /** ISO 8601 time of the event. */
  at: string;
  run: RunView;
}

/** The in-process bus of run events. Nothing is kept: a subscriber sees what happens after it subscribed. */
@Injectable()
export class RunEvents implements OnModuleDestroy {
  private readonly subject = new Subject<RunEvent>();

  emit(type: RunEventType, record: RunRecord, atMs: number): void {
    if (!this.subject.observed) return;
    this.subject.next({ type, at: new Date(atMs).toISOString(), run: toRunView(record) });
  }

  stream(): Observable<RunEvent> {
    return this.subject.asObservable();
  }

  onModuleDestroy(): void {
    this.subject.complete();
  }
}
