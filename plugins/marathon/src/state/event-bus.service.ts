import { Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { MarathonEvent } from '../marathon-events.view';

/**
 * Marathon's event bus: what `/v2/events` streams. Publishers check `listening` before building
 * an event, so the hot path (thousands of status updates a second) costs nothing when nobody
 * listens.
 */
@Injectable()
export class EventBus {
  private readonly subject = new Subject<MarathonEvent>();
  /** The last events other than status updates, for diagnostics and tests. */
  private readonly recent: MarathonEvent[] = [];
  published = 0;

  get listening(): boolean {
    return this.subject.observed;
  }

  publish(event: MarathonEvent): void {
    this.published++;
    if (event.eventType !== 'status_update_event') {
      this.recent.push(event);
      if (this.recent.length > 100) this.recent.shift();
    }
    this.subject.next(event);
  }

  /** Publishes the event built by `build` only when someone listens. */
  publishLazy(build: () => MarathonEvent): void {
    if (this.subject.observed) this.publish(build());
  }

  events(): Observable<MarathonEvent> {
    return this.subject.asObservable();
  }

  /** The last non-status events, oldest first. */
  recentEvents(): MarathonEvent[] {
    return [...this.recent];
  }

  close(): void {
    this.subject.complete();
  }
}
