import { epsilonMsOf } from './job.schema';
import { planRuns, runId, type CatchUp } from './run-planner';
import { newRunRecord, skippedRunRecord, type RunRecord } from './run-record';
import { instantsBetween, type Schedule } from './schedule';
import type { StoredJob } from './stored-job';

export interface JobPlanInput {
  readonly stored: StoredJob;
  readonly schedule: Schedule;
  readonly nowMs: number;
  /** Future instants up to now + this are recorded now, so that launching them needs no store write. */
  readonly planAheadMs: number;
  /** At most this many future instants per plan (a per-second job with a long look-ahead). */
  readonly maxAhead?: number;
  readonly catchUp?: CatchUp;
}

/** What to write for one scheduled job: records first (create), then the job (compare-and-set). */
export interface JobPlan {
  /** New runs, state `scheduled`, oldest first: past instants within epsilon (catching up), then future ones. */
  readonly runs: RunRecord[];
  /** Skip records of the most recent skipped instants. */
  readonly skips: RunRecord[];
  /** Every skipped instant, listed or not: added to the job's skippedCount. */
  readonly skippedCount: number;
  readonly handledThroughMs: number | undefined;
}

/**
 * Plans a scheduled job: `planRuns` for the instants up to now (those within epsilon run late,
 * older ones are skipped and recorded), plus the instants of the next `planAheadMs`,
 * recorded ahead so that at the instant the launch needs nothing but an offer. Undefined when
 * nothing is to be written. Pure.
 */
export function planJob(input: JobPlanInput): JobPlan | undefined {
  const { stored, schedule, nowMs } = input;
  const { job } = stored;
  const plan = planRuns({
    schedule,
    nowMs,
    epsilonMs: epsilonMsOf(job),
    handledThroughMs: stored.handledThroughMs,
    createdAtMs: stored.scheduleSinceMs,
    disabled: job.disabled,
    catchUp: input.catchUp,
  });
  const record = (instantMs: number): RunRecord => newRunRecord({ runId: runId(job.name, instantMs), job: job.name, trigger: 'schedule', scheduledAtMs: instantMs });
  // Instants already past when recorded start late: they catch up.
  const runs = plan.due.map((instantMs) => ({ ...record(instantMs), ...(instantMs < nowMs ? { catchUp: true } : {}) }));
  let handled = plan.handledThroughMs;
  if (!job.disabled && input.planAheadMs > 0) {
    const ahead = instantsBetween(schedule, Math.max(nowMs, handled ?? -Infinity), nowMs + input.planAheadMs, input.maxAhead ?? 20);
    runs.push(...ahead.map(record));
    if (ahead.length > 0) handled = ahead[ahead.length - 1];
  }
  const skips = plan.skipped.map((skip) =>
    skippedRunRecord({ runId: runId(job.name, skip.instantMs), job: job.name, trigger: 'schedule', scheduledAtMs: skip.instantMs }, skip.reason, nowMs),
  );
  if (runs.length === 0 && plan.skippedCount === 0 && handled === stored.handledThroughMs) return undefined;
  return { runs, skips, skippedCount: plan.skippedCount, handledThroughMs: handled };
}

/** The next instant the planner must look at the job again: its next unhandled instant minus the look-ahead. */
export function nextPlanAtMs(stored: StoredJob, schedule: Schedule | undefined, nowMs: number, planAheadMs: number): number | undefined {
  if (!schedule || stored.job.disabled) return undefined;
  const next = schedule.next(Math.max(nowMs, stored.handledThroughMs ?? -Infinity));
  return next === undefined ? undefined : next - planAheadMs;
}
