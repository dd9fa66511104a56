import type { Job } from './job.schema';

/**
 * A job as kept under `jobs.<jobKey>`: what the user posted (defaults applied, statistics in
 * Chronos's fields) and the scheduler's state, written together so that one compare-and-set
 * moves both: a run is counted exactly when it leaves `activeRuns`, and an instant is handled
 * exactly when `handledThroughMs` passes it.
 */
export interface StoredJob {
  job: Job;
  /** When the job was first stored. */
  createdAtMs: number;
  /**
   * When the job's schedule was set (creation, or the last change of schedule, cron or zone):
   * the anchor of an empty ISO start (`R//PT1H`) and the time before which instants are not
   * the job's to miss.
   */
  scheduleSinceMs: number;
  /** Every instant at or before this has a run or skip record (or was counted as skipped). */
  handledThroughMs?: number;
  /** Dependent jobs: the parents' completion time that started the last run. */
  lastTriggerMs?: number;
  /** Runs recorded and not over: the ids whose outcome is still to be counted. */
  activeRuns: string[];
}

/** True when `a` and `b` schedule differently (the instants of one are not those of the other). */
export function scheduleChanged(a: Job, b: Job): boolean {
  return a.schedule !== b.schedule || a.cron !== b.cron || (a.scheduleTimeZone ?? '') !== (b.scheduleTimeZone ?? '') || (a.parents ?? []).join('\n') !== (b.parents ?? []).join('\n');
}
