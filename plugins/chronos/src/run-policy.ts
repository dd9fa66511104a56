import { concurrencyPolicyOf, maxCompletionTimeMsOf, type ConcurrencyPolicy, type Job } from './job.schema';

/**
 * What to do with a new run while earlier runs of the same job are still going, as Kubernetes
 * CronJob's concurrencyPolicy: `Allow` starts it alongside, `Forbid` skips it (recorded as
 * skipped), `Replace` kills the running ones and then starts it.
 */
export type ConcurrencyDecision = 'start' | 'skip' | 'replace';

export function decideConcurrency(policy: ConcurrencyPolicy, runningRuns: number | readonly unknown[]): ConcurrencyDecision {
  const running = typeof runningRuns === 'number' ? runningRuns : runningRuns.length;
  if (running <= 0 || policy === 'Allow') return 'start';
  return policy === 'Forbid' ? 'skip' : 'replace';
}

/** `decideConcurrency` with the job's own policy (`concurrencyPolicy`, else from `concurrent`). */
export function decideJobConcurrency(job: Job, runningRuns: number | readonly unknown[]): ConcurrencyDecision {
  return decideConcurrency(concurrencyPolicyOf(job), runningRuns);
}

export interface RetryBackoff {
  /** The wait before the first retry. Default 60 s, Chronos's `--failure_retry`. */
  readonly baseMs?: number;
  /** Each further retry waits this many times longer. Default 2. */
  readonly factor?: number;
  /** The longest wait. Default 10 min. */
  readonly maxMs?: number;
}

/**
 * How long to wait before retry number `retry` (1 for the first retry): exponential from
 * Chronos's fixed 60 s, capped. No jitter: retries of different jobs are already spread by their
 * schedules, and a deterministic delay keeps fake-clock tests exact.
 */
export function retryDelayMs(retry: number, backoff: RetryBackoff = {}): number {
  const { baseMs = 60_000, factor = 2, maxMs = 600_000 } = backoff;
  if (!Number.isInteger(retry) || retry < 1) throw new Error(`retry number ${retry} must be an integer >= 1`);
  return Math.min(maxMs, baseMs * factor ** (retry - 1));
}

/**
 * How an attempt ended, for the retry decision: `failed` (non-zero exit, task error), `lost`
 * (the agent or task vanished), `timed-out` (killed past maxCompletionTime), `killed` (by a user,
 * or replaced under `Replace`).
 */
export type AttemptEnd = 'failed' | 'lost' | 'timed-out' | 'killed';

export type RetryDecision = { readonly retry: true; readonly retryNumber: number; readonly delayMs: number } | { readonly retry: false };

/**
 * Whether a run whose attempt just ended unsuccessfully gets another attempt. `attemptsMade`
 * counts the attempts so far, the one that just ended included; a job with `retries: 2` runs
 * at most 3 attempts. A timed-out or killed run is over: retrying a run that overran its
 * limit would only overrun it again, and a kill is a decision, not a fault.
 */
export function decideRetry(job: Pick<Job, 'retries'>, attemptsMade: number, end: AttemptEnd, backoff?: RetryBackoff): RetryDecision {
  if (end === 'timed-out' || end === 'killed') return { retry: false };
  const retryNumber = attemptsMade;
  if (retryNumber > job.retries) return { retry: false };
  return { retry: true, retryNumber, delayMs: retryDelayMs(retryNumber, backoff) };
}

/** When a run started at `startedAtMs` must be killed (maxCompletionTime), or undefined: never. */
export function completionDeadlineMs(job: Job, startedAtMs: number): number | undefined {
  const limit = maxCompletionTimeMsOf(job);
  return limit === undefined ? undefined : startedAtMs + limit;
}
