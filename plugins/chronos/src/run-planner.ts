import { createHash } from 'node:crypto';
import { jobKey, jobNameFromKey } from './job-name';
import { latestInstantsBetween, type Schedule } from './schedule';

/**
 * Which scheduled instants of a job to run now. The rule:
 * - an instant runs at most once: only instants after `handledThroughMs` (persisted by the
 *   caller) are considered, and the caller persists the returned `handledThroughMs` together
 *   with the run record (id from `runId`) before launching anything, so a failover re-plans from
 *   there and finds nothing to launch twice;
 * - an instant at most `epsilon` old (now - epsilon <= instant <= now) may still start: with
 *   `catchUp: 'all'` (the default, Chronos's rule) every such instant starts late, oldest first;
 *   with `catchUp: 'latest'` (Kubernetes CronJob's) only the latest runs and earlier ones are
 *   skipped as `superseded`, so a scheduler that fell behind catches up with one run;
 * - instants older than epsilon are skipped as `missed`: never run late, never silently dropped;
 * - instants before the job existed (`createdAtMs`) are not the job's to miss: they are ignored,
 *   except that one within epsilon still runs (Chronos: a start just in the past runs now);
 * - a disabled job runs nothing and records nothing, but still advances `handledThroughMs`, so
 *   enabling it again does not replay or report the instants it slept through.
 */
export interface PlanInput {
  readonly schedule: Schedule;
  readonly nowMs: number;
  /** How late a run may still start (the job's epsilon). */
  readonly epsilonMs: number;
  /** The latest instant already handled (run or skipped), as persisted; undefined before the first plan. */
  readonly handledThroughMs: number | undefined;
  /** When the job was first stored. */
  readonly createdAtMs: number;
  readonly disabled?: boolean;
  /** How many skipped instants to list (the most recent); the count covers all. Default 100. */
  readonly maxListedSkips?: number;
  /** Missed instants within epsilon: `all` start late (default), or only the `latest`. */
  readonly catchUp?: CatchUp;
}

export type CatchUp = 'all' | 'latest';

export type SkipReason = 'missed' | 'superseded';

export interface PlannedSkip {
  readonly instantMs: number;
  readonly reason: SkipReason;
}

export interface RunPlan {
  /** Instants to run now, oldest first: with `catchUp: 'latest'` none or one. */
  readonly due: number[];
  /** Skipped instants to record in the job's history, oldest first (the most recent ones only). */
  readonly skipped: PlannedSkip[];
  /** All skipped instants, listed or not (saturates at MAX_COUNTED_SKIPS). */
  readonly skippedCount: number;
  /** Persist this before launching `due`: the latest instant now handled. */
  readonly handledThroughMs: number | undefined;
  /** The next instant after now; undefined when the schedule is over or the job is disabled. */
  readonly nextRunMs: number | undefined;
}

/** Counting skipped instants stops here (a per-second cron over a week-long outage). */
export const MAX_COUNTED_SKIPS = 10_000;
const DEFAULT_LISTED_SKIPS = 100;

export function planRuns(input: PlanInput): RunPlan {
  const { schedule, nowMs, epsilonMs, createdAtMs } = input;
  const floor = input.handledThroughMs ?? -Infinity;
  const latest = schedule.previous(nowMs);
  const fresh = latest !== undefined && latest > floor;
  const handledThroughMs = fresh ? latest : input.handledThroughMs;
  if (input.disabled) return { due: [], skipped: [], skippedCount: 0, handledThroughMs, nextRunMs: undefined };

  const nextRunMs = schedule.next(nowMs);
  const windowAfter = Math.max(floor, nowMs - epsilonMs - 1);
  const limit = input.maxListedSkips ?? DEFAULT_LISTED_SKIPS;
  const latestDue = fresh && latest > windowAfter ? latest : undefined;
  // Instants before creation are ignored, except the latest when it is within epsilon.
  const catchingUp = input.catchUp !== 'latest' && latestDue !== undefined && latestDue >= createdAtMs;
  const due = catchingUp ? latestInstantsBetween(schedule, Math.max(windowAfter, createdAtMs - 1), latestDue, limit) : latestDue === undefined ? [] : [latestDue];

  // Earlier instants inside the window lose to the oldest one that runs; before creation they are ignored.
  const supersededAfter = Math.max(windowAfter, createdAtMs - 1);
  const supersededUntil = due.length > 0 ? due[0]! - 1 : undefined;
  // Instants older than the window are missed, counting from creation or the last handled one.
  const missedAfter = Math.max(floor, createdAtMs - 1);
  const missedUntil = nowMs - epsilonMs - 1;

  const superseded = supersededUntil === undefined ? [] : latestInstantsBetween(schedule, supersededAfter, supersededUntil, limit);
  const missed = latestInstantsBetween(schedule, missedAfter, missedUntil, limit - superseded.length);
  const supersededCount = supersededUntil === undefined ? 0 : countRange(schedule, supersededAfter, supersededUntil);
  const missedCount = countRange(schedule, missedAfter, missedUntil);

  return {
    due,
    skipped: [
      ...missed.map((instantMs) => ({ instantMs, reason: 'missed' as const })),
      ...superseded.map((instantMs) => ({ instantMs, reason: 'superseded' as const })),
    ],
    skippedCount: Math.min(MAX_COUNTED_SKIPS, supersededCount + missedCount),
    handledThroughMs,
    nextRunMs,
  };
}

/**
 * The run of a job at a scheduled instant (or, for a dependent job, at the instant its last
 * parent completed): deterministic, so a scheduler that restarts mid-launch finds the run it
 * already recorded instead of creating another. Safe as a NATS KV key and a Mesos task id.
 */
export function runId(jobName: string, instantMs: number): string {
  if (!Number.isSafeInteger(instantMs) || instantMs < 0) throw new Error(`run instant ${instantMs} must be a non-negative integer`);
  return `${jobKey(jobName)}-${instantMs}`;
}

/** A run started by hand (`PUT /v1/scheduler/job/<name>`), apart from the scheduled ones. */
export function manualRunId(jobName: string, requestedAtMs: number): string {
  return `${jobKey(jobName)}-m${requestedAtMs}`;
}

/** Task ids travel in NATS subjects: at most this long, letters, digits, `_`, `-` and `:`. */
export const MAX_TASK_ID_LENGTH = 200;

/**
 * The task of one attempt of a run: attempt 0 is the first try, 1 the first retry. Deterministic,
 * so that the master refuses a second launch of the same attempt (a duplicate task id) even when
 * two schedulers race. `:` separates the attempt because task ids may not contain `.` (they are
 * NATS subject tokens). A run id too long for a task id (a job name near 200 characters) keeps
 * its first characters and gets a hash of the whole, so the id stays unique and deterministic.
 */
export function attemptTaskId(run: string, attempt: number): string {
  if (!Number.isInteger(attempt) || attempt < 0) throw new Error(`attempt ${attempt} must be a non-negative integer`);
  const suffix = `:${attempt}`;
  if (run.length + suffix.length <= MAX_TASK_ID_LENGTH) return `${run}${suffix}`;
  const hash = createHash('sha256').update(run).digest('base64url').slice(0, 22);
  return `${run.slice(0, MAX_TASK_ID_LENGTH - suffix.length - hash.length - 2)}-h${hash}${suffix}`;
}

/** The run and attempt of a task id made by `attemptTaskId` (undefined for other task ids). */
export function parseAttemptTaskId(taskId: string): { runId: string; attempt: number } | undefined {
  const match = /^(.+):(\d+)$/.exec(taskId);
  if (!match) return undefined;
  return { runId: match[1]!, attempt: Number(match[2]) };
}

export interface RunIdParts {
  readonly jobName: string;
  readonly instantMs: number;
  readonly manual: boolean;
}

/** The inverse of `runId` and `manualRunId`. */
export function parseRunId(id: string): RunIdParts {
  const dash = id.lastIndexOf('-');
  const match = /^(m?)(\d+)$/.exec(id.slice(dash + 1));
  if (dash <= 0 || !match) throw new Error(`'${id}' is not a run id`);
  return { jobName: jobNameFromKey(id.slice(0, dash)), instantMs: Number(match[2]), manual: match[1] === 'm' };
}

function countRange(schedule: Schedule, afterMs: number, atOrBeforeMs: number): number {
  return atOrBeforeMs > afterMs ? schedule.count(afterMs, atOrBeforeMs, MAX_COUNTED_SKIPS) : 0;
}
