import type { TaskState, TaskStatus } from '@pando/protocol';
import type { AttemptEnd } from './run-policy';
import type { RunKillReason } from './run-record';

/**
 * How a task's update bears on its run. Pure: the tracker decides with it.
 *
 * - `progress`: the task is on its way (STAGING, STARTING, RUNNING, KILLING, UNREACHABLE);
 * - `not-launched`: the master refused the offers it was launched on: the same attempt (same
 *   task id) waits for another offer, nothing is counted;
 * - `duplicate`: the master already has a task with this id (a launch before a failover):
 *   nothing is counted, its state is asked for by reconciliation;
 * - `unknown`: a reconciliation answer for a task the master does not know;
 * - `succeeded` / `ended`: the attempt is over, with how it ended for the retry decision.
 */
export type UpdateMeaning =
  | { kind: 'progress' }
  | { kind: 'not-launched' }
  | { kind: 'duplicate' }
  | { kind: 'unknown' }
  | { kind: 'succeeded' }
  | { kind: 'ended'; end: AttemptEnd };

const UNKNOWN_STATES: ReadonlySet<TaskState> = new Set<TaskState>(['LOST', 'GONE', 'UNKNOWN', 'DROPPED']);

export function meaningOf(status: Pick<TaskStatus, 'state' | 'reason' | 'message'>, killReason: RunKillReason | undefined): UpdateMeaning {
  switch (status.state) {
    case 'STAGING':
    case 'STARTING':
    case 'RUNNING':
    case 'KILLING':
    case 'UNREACHABLE':
      return { kind: 'progress' };
    case 'FINISHED':
      return { kind: 'succeeded' };
    case 'FAILED':
      return { kind: 'ended', end: 'failed' };
    case 'ERROR':
      if (status.reason === 'REASON_TASK_INVALID' && /already in use/.test(status.message ?? '')) return { kind: 'duplicate' };
      // The offers it was launched on had lost resources (one was rescinded): not the task's fault.
      if (status.reason === 'REASON_TASK_INVALID' && /exceed what the offers have left/.test(status.message ?? '')) return { kind: 'not-launched' };
      return { kind: 'ended', end: 'failed' };
    case 'KILLED':
      return { kind: 'ended', end: killReason === 'timed-out' ? 'timed-out' : 'killed' };
    default:
      if (status.reason === 'REASON_INVALID_OFFERS') return { kind: 'not-launched' };
      if (status.reason === 'REASON_RECONCILIATION' && UNKNOWN_STATES.has(status.state)) return { kind: 'unknown' };
      // LOST, GONE, GONE_BY_OPERATOR, DROPPED, UNKNOWN outside reconciliation: the task is gone.
      return { kind: 'ended', end: 'lost' };
  }
}

/** The run state an attempt's end leaves when no retry follows. */
export function finalStateOf(end: AttemptEnd): 'failed' | 'killed' {
  return end === 'killed' ? 'killed' : 'failed';
}
