import type { TimerHandle } from '@pando/common';
import type { LaunchRequest } from './run-launcher.service';
import { attemptTaskId, parseAttemptTaskId } from './run-planner';
import type { RunRecord } from './run-record';

/**
 * Where a run is, in memory: `waiting` for its instant; `queued` for an offer; `launching`
 * (ACCEPT sent) and `launched` (the master has the task); `retry-wait` for a retry's backoff;
 * `unknown`: recovered after a failover, its task's state asked of the master first.
 */
export type RunPhase = 'waiting' | 'queued' | 'launching' | 'launched' | 'retry-wait' | 'unknown';

export interface LiveRun {
  record: RunRecord;
  phase: RunPhase;
  launchedAtMs?: number;
  deadline?: TimerHandle;
  killSentAtMs?: number;
}

/** Phases in which a run counts as going for its job's concurrencyPolicy. */
const GOING: ReadonlySet<RunPhase> = new Set<RunPhase>(['queued', 'launching', 'launched', 'retry-wait', 'unknown']);

/** A recovered run whose record says it never started (it may never have been launched). */
export function neverStarted(record: RunRecord): boolean {
  return record.state === 'scheduled' && !record.attempts.some((a) => a.startedAtMs !== undefined);
}

/** True once the run's instant came and it was not over: it may have a task to kill. */
export function isActive(live: LiveRun): boolean {
  return GOING.has(live.phase);
}

/** True when the run is going for its job's concurrencyPolicy (a recovered run that never started is not). */
export function isGoing(live: LiveRun): boolean {
  return isActive(live) && !(live.phase === 'unknown' && neverStarted(live.record));
}

/** The task id of the run's current attempt. */
export function currentTaskId(live: LiveRun): string {
  return attemptTaskId(live.record.runId, live.record.attempt);
}

/** The current attempt's task, with its agent when known (for KILL and RECONCILE). */
export function taskRef(live: LiveRun): { taskId: string; agentId?: string } {
  const taskId = currentTaskId(live);
  const agentId = live.record.attempts.find((a) => a.attempt === live.record.attempt)?.agentId;
  return agentId ? { taskId, agentId } : { taskId };
}

export function requestOf(live: LiveRun): LaunchRequest {
  const { record } = live;
  return { runId: record.runId, attempt: record.attempt, taskId: currentTaskId(live), scheduledAtMs: record.scheduledAtMs, arguments: record.arguments };
}

/** The runs not over, by run id, by job and by task id. */
export class LiveRuns {
  private readonly runs = new Map<string, LiveRun>();
  private readonly byTask = new Map<string, { runId: string; attempt: number }>();
  private readonly byJob = new Map<string, Set<string>>();

  get(runId: string): LiveRun | undefined {
    return this.runs.get(runId);
  }

  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  all(): IterableIterator<LiveRun> {
    return this.runs.values();
  }

  ofJob(job: string): LiveRun[] {
    return [...(this.byJob.get(job) ?? [])].map((id) => this.runs.get(id)!).filter(Boolean);
  }

  /** The run and attempt a task belongs to (a task id of another attempt or run is parsed). */
  taskOf(taskId: string): { runId: string; attempt: number } | undefined {
    return this.byTask.get(taskId) ?? parseAttemptTaskId(taskId);
  }

  add(live: LiveRun): void {
    this.runs.set(live.record.runId, live);
    let ids = this.byJob.get(live.record.job);
    if (!ids) this.byJob.set(live.record.job, (ids = new Set()));
    ids.add(live.record.runId);
  }

  /** Maps the current attempt's task id to the run; returns it. */
  mapTask(live: LiveRun): string {
    const taskId = currentTaskId(live);
    this.byTask.set(taskId, { runId: live.record.runId, attempt: live.record.attempt });
    return taskId;
  }

  unmapTask(taskId: string): void {
    this.byTask.delete(taskId);
  }

  remove(live: LiveRun): void {
    const { runId, job } = live.record;
    for (const attempt of live.record.attempts) this.byTask.delete(attempt.taskId);
    this.byTask.delete(currentTaskId(live));
    this.runs.delete(runId);
    const ids = this.byJob.get(job);
    ids?.delete(runId);
    if (ids?.size === 0) this.byJob.delete(job);
  }

  phaseCounts(): Record<RunPhase, number> {
    const counts: Record<RunPhase, number> = { waiting: 0, queued: 0, launching: 0, launched: 0, 'retry-wait': 0, unknown: 0 };
    for (const live of this.runs.values()) counts[live.phase]++;
    return counts;
  }
}
