import type { LastStatus } from './job-graph';
import type { Job } from './job.schema';
import { formatInstant } from './zoned-time';

/**
 * A job's statistics, as Chronos shows them in the job JSON: counts, and the dates (ISO 8601,
 * '' for never) of the last success and the last failure. A run counts once, when it is over:
 * a success, or a failure after its last retry. `skippedCount` is Pando's: scheduled instants
 * that did not run (missed beyond epsilon, superseded by a later instant, or refused because
 * the previous run was still going).
 */
export interface JobStats {
  readonly successCount: number;
  readonly errorCount: number;
  readonly errorsSinceLastSuccess: number;
  readonly skippedCount: number;
  readonly lastSuccess: string;
  readonly lastError: string;
}

export const EMPTY_STATS: JobStats = {
  successCount: 0,
  errorCount: 0,
  errorsSinceLastSuccess: 0,
  skippedCount: 0,
  lastSuccess: '',
  lastError: '',
};

/** The statistics carried in a job's JSON. */
export function statsOf(job: Job): JobStats {
  return {
    successCount: job.successCount,
    errorCount: job.errorCount,
    errorsSinceLastSuccess: job.errorsSinceLastSuccess,
    skippedCount: job.skippedCount,
    lastSuccess: job.lastSuccess,
    lastError: job.lastError,
  };
}

/** The job with these statistics in its JSON (the rest unchanged). */
export function withStats(job: Job, stats: JobStats): Job {
  return { ...job, ...stats };
}

export function recordSuccess(stats: JobStats, atMs: number): JobStats {
  return { ...stats, successCount: stats.successCount + 1, errorsSinceLastSuccess: 0, lastSuccess: formatInstant(atMs) };
}

/** A run that failed for good (its retries used up, or killed past maxCompletionTime). */
export function recordFailure(stats: JobStats, atMs: number): JobStats {
  return {
    ...stats,
    errorCount: stats.errorCount + 1,
    errorsSinceLastSuccess: stats.errorsSinceLastSuccess + 1,
    lastError: formatInstant(atMs),
  };
}

export function recordSkipped(stats: JobStats, count = 1): JobStats {
  return { ...stats, skippedCount: stats.skippedCount + count };
}

/** Chronos's last state: `fresh` before any outcome, else whichever of success and failure is later. */
export function lastStatusOf(stats: JobStats): LastStatus {
  const success = dateMs(stats.lastSuccess);
  const failure = dateMs(stats.lastError);
  if (success === undefined && failure === undefined) return 'fresh';
  if (failure === undefined) return 'success';
  if (success === undefined) return 'failure';
  return success > failure ? 'success' : 'failure';
}

/**
 * When a parent last completed in the sense its dependents wait for: its last success, or its
 * last failure too when it has `softError` (Chronos runs the dependents of a soft-failing job).
 */
export function parentCompletedAtMs(stats: JobStats, softError: boolean): number | undefined {
  const success = dateMs(stats.lastSuccess);
  const failure = softError ? dateMs(stats.lastError) : undefined;
  if (success === undefined) return failure;
  if (failure === undefined) return success;
  return Math.max(success, failure);
}

function dateMs(text: string): number | undefined {
  if (text === '') return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
