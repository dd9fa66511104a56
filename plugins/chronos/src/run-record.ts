import type { TaskState } from '@pando/protocol';
import type { SkipReason } from './run-planner';
import { formatInstant } from './zoned-time';

/**
 * One run of a job, as persisted under its own key (`runs.<jobKey>.<instant>`): created with
 * compare-and-set BEFORE anything is launched, so that the run id is claimed once, whoever
 * leads. The record is the run's history entry too.
 */
export type RunTrigger = 'schedule' | 'manual' | 'dependency';

/**
 * `scheduled`: recorded, not started (waiting for its instant or for an offer);
 * `running`: an attempt was launched; `retrying`: waiting for the next attempt's backoff;
 * the rest are final.
 */
export type RunState = 'scheduled' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'killed' | 'skipped';

/** Why a run did not run: missed beyond epsilon, superseded by a later instant, or `overlap` (concurrencyPolicy Forbid). */
export type RunSkipReason = SkipReason | 'overlap';

/** Why a run was killed: by a user, past maxCompletionTime, by a newer run (Replace), or its job was deleted. */
export type RunKillReason = 'user' | 'timed-out' | 'replaced' | 'deleted';

export interface AttemptRecord {
  attempt: number;
  taskId: string;
  agentId?: string;
  /** When the task was sent to the master (ACCEPT). */
  launchedAtMs?: number;
  /** When the task reported RUNNING (the agent's clock). */
  startedAtMs?: number;
  endedAtMs?: number;
  /** The task's last known state. */
  taskState?: TaskState;
  exitCode?: number;
  message?: string;
}

export interface RunRecord {
  runId: string;
  job: string;
  trigger: RunTrigger;
  /** The scheduled instant; for a manual run when it was asked for, for a dependent run when its last parent completed. */
  scheduledAtMs: number;
  state: RunState;
  /** The current (or last) attempt: 0 is the first try. */
  attempt: number;
  attempts: AttemptRecord[];
  /** A manual run's arguments, replacing the job's. */
  arguments?: string[];
  /** Started late, catching up after a downtime: under Forbid it waits for the run before it instead of being skipped. */
  catchUp?: boolean;
  skipReason?: RunSkipReason;
  killReason?: RunKillReason;
  /** While `retrying`: when the next attempt may start. */
  nextAttemptAtMs?: number;
  endedAtMs?: number;
  message?: string;
}

const FINAL: ReadonlySet<RunState> = new Set<RunState>(['succeeded', 'failed', 'killed', 'skipped']);

export function isRunOver(state: RunState): boolean {
  return FINAL.has(state);
}

export function newRunRecord(fields: Pick<RunRecord, 'runId' | 'job' | 'trigger' | 'scheduledAtMs'> & { arguments?: string[] }): RunRecord {
  const record: RunRecord = { ...fields, state: 'scheduled', attempt: 0, attempts: [] };
  if (fields.arguments === undefined) delete record.arguments;
  return record;
}

export function skippedRunRecord(fields: Pick<RunRecord, 'runId' | 'job' | 'trigger' | 'scheduledAtMs'>, reason: RunSkipReason, atMs: number): RunRecord {
  return { ...fields, state: 'skipped', attempt: 0, attempts: [], skipReason: reason, endedAtMs: atMs, message: skipMessage(reason) };
}

export function skipMessage(reason: RunSkipReason): string {
  switch (reason) {
    case 'missed':
      return 'not started: the scheduler could not start it within epsilon of its scheduled time';
    case 'superseded':
      return 'not started: a later scheduled time was due too and ran instead';
    case 'overlap':
      return 'not started: the previous run was still going (concurrencyPolicy Forbid)';
  }
}

/** The attempt record of `attempt`, created when missing (the record is mutated). */
export function attemptOf(record: RunRecord, attempt: number, taskId: string): AttemptRecord {
  let entry = record.attempts.find((a) => a.attempt === attempt);
  if (!entry) {
    entry = { attempt, taskId };
    record.attempts.push(entry);
    record.attempts.sort((a, b) => a.attempt - b.attempt);
  }
  return entry;
}

/** The entry of `GET /v1/scheduler/job/<name>/runs`. */
export interface RunView {
  runId: string;
  job: string;
  trigger: RunTrigger;
  scheduledAt: string;
  state: RunState;
  attempt: number;
  attempts: number;
  taskId: string | null;
  agentId: string | null;
  launchedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  message: string | null;
  skipReason?: RunSkipReason;
  killReason?: RunKillReason;
  nextAttemptAt?: string;
  arguments?: string[];
}

export function toRunView(record: RunRecord): RunView {
  const last = record.attempts[record.attempts.length - 1];
  const started = record.attempts.find((a) => a.startedAtMs !== undefined)?.startedAtMs;
  const view: RunView = {
    runId: record.runId,
    job: record.job,
    trigger: record.trigger,
    scheduledAt: formatInstant(record.scheduledAtMs),
    state: record.state,
    attempt: record.attempt,
    attempts: record.attempts.length,
    taskId: last?.taskId ?? null,
    agentId: last?.agentId ?? null,
    launchedAt: last?.launchedAtMs === undefined ? null : formatInstant(last.launchedAtMs),
    startedAt: started === undefined ? null : formatInstant(started),
    finishedAt: record.endedAtMs === undefined ? null : formatInstant(record.endedAtMs),
    exitCode: last?.exitCode ?? null,
    message: record.message ?? last?.message ?? null,
  };
  if (record.skipReason) view.skipReason = record.skipReason;
  if (record.killReason) view.killReason = record.killReason;
  if (record.nextAttemptAtMs !== undefined && record.state === 'retrying') view.nextAttemptAt = formatInstant(record.nextAttemptAtMs);
  if (record.arguments) view.arguments = record.arguments;
  return view;
}
