import { jobKey } from './job-name';

/**
 * The keys of the plugin's KV bucket. One key per job, one per run, so that every write is
 * small and a job's runs can be listed (and pruned) by prefix:
 *
 * - `jobs.<jobKey>`: the job as posted, its statistics and its schedule state (StoredJob);
 * - `runs.<jobKey>.<instant ms>` (or `.m<ms>` for a manual run): one run (RunRecord).
 *
 * `jobKey` is the base64url of the name: KV-safe, dot-free, reversible.
 */
export const JOBS_PREFIX = 'jobs.';
export const RUNS_PREFIX = 'runs.';

export function jobStoreKey(name: string): string {
  return `${JOBS_PREFIX}${jobKey(name)}`;
}

export function runsPrefixOf(name: string): string {
  return `${RUNS_PREFIX}${jobKey(name)}.`;
}

/** A run id is `<jobKey>-<ms>` or `<jobKey>-m<ms>`; its key swaps the last dash for a dot. */
export function runStoreKey(runId: string): string {
  const dash = runId.lastIndexOf('-');
  if (dash <= 0) throw new Error(`'${runId}' is not a run id`);
  return `${RUNS_PREFIX}${runId.slice(0, dash)}.${runId.slice(dash + 1)}`;
}

/** Orders a job's run keys oldest first: the number after the last dot (manual runs too). */
export function runKeyTimeMs(key: string): number {
  const suffix = key.slice(key.lastIndexOf('.') + 1);
  return Number(suffix.startsWith('m') ? suffix.slice(1) : suffix);
}
