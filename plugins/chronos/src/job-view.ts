import type { LastStatus } from './job-graph';
import { lastStatusOf, statsOf, type JobStats } from './job-stats';
import type { Job } from './job.schema';
import { formatInstant } from './zoned-time';

/** What the scheduler knows about a job beyond its stored JSON. */
export interface JobViewContext {
  /** The job's current statistics; default: those in the job's JSON. */
  readonly stats?: JobStats;
  /** The next scheduled instant (from `planRuns` or `Schedule.next(now)`); undefined: none. */
  readonly nextRunMs?: number;
}

/**
 * The JSON of `GET /v1/scheduler/jobs` and `/job/<name>`: the job as posted, Chronos's field
 * names and defaults, unknown fields kept, the stored `schedule`/`cron` exactly as posted, the
 * statistics, and the derived `nextRun` (ISO 8601 UTC, or null for a dependent, disabled or
 * finished job). `nextRun` is dropped again if the JSON is posted back.
 */
export function toJobView(job: Job, context: JobViewContext = {}): Record<string, unknown> {
  const stats = context.stats ?? statsOf(job);
  const nextRun = job.disabled || context.nextRunMs === undefined ? null : formatInstant(context.nextRunMs);
  return { ...job, ...stats, nextRun };
}

/** One entry of `GET /v1/scheduler/jobs/summary` (`{ "jobs": [...] }`), in Chronos's shape. */
export interface JobSummaryEntry {
  readonly name: string;
  /** The last outcome: `success`, `failure` or `fresh`. */
  readonly status: LastStatus;
  /** What the job is doing: `idle`, `queued` or `<n> running`. */
  readonly state: string;
  /** The ISO schedule, the cron expression for a cron job, '' for a dependent job. */
  readonly schedule: string;
  readonly parents: string[];
  readonly disabled: boolean;
}

export interface JobSummaryContext {
  readonly stats?: JobStats;
  /** From `jobState`; default `idle`. */
  readonly state?: string;
}

export function toJobSummary(job: Job, context: JobSummaryContext = {}): JobSummaryEntry {
  return {
    name: job.name,
    status: lastStatusOf(context.stats ?? statsOf(job)),
    state: context.state ?? 'idle',
    schedule: job.schedule ?? job.cron ?? '',
    parents: [...(job.parents ?? [])],
    disabled: job.disabled,
  };
}

/** Chronos's job state: `<n> running` while runs are going, else `queued` while one waits for an offer, else `idle`. */
export function jobState(runningRuns: number, queued: boolean): string {
  if (runningRuns > 0) return `${runningRuns} running`;
  return queued ? 'queued' : 'idle';
}
