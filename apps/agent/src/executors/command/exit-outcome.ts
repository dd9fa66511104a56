import type { TaskState } from '@pando/protocol';
import type { TaskUpdateFields } from '@pando/sdk';
import type { ExitStatus } from './sandbox-records';

export interface Outcome {
  state: TaskState;
  fields: TaskUpdateFields;
}

/**
 * The terminal update for what the supervisor recorded. A kill we asked for wins over how the
 * process died (so SIGTERM is KILLED, not FAILED), as in Mesos's command executor.
 */
export function outcomeOf(status: ExitStatus, program: string): Outcome {
  if (status.error !== undefined) {
    return { state: 'FAILED', fields: { reason: 'REASON_COMMAND_EXECUTOR_FAILED', message: `failed to start '${program}': ${status.error}` } };
  }
  if (status.neverStarted) {
    return { state: 'KILLED', fields: { reason: 'REASON_TASK_KILLED_DURING_LAUNCH', message: 'killed before it started' } };
  }
  const exitCode = status.code ?? undefined;
  if (status.killed) {
    const how = status.signal ? `by ${status.signal}` : `with code ${status.code}`;
    return { state: 'KILLED', fields: { message: `killed: exited ${how}`, exitCode } };
  }
  if (status.code === 0) return { state: 'FINISHED', fields: { message: 'exited with code 0', exitCode: 0 } };
  if (status.code !== null) {
    const hint = status.code === 127 ? ' (command not found)' : '';
    return { state: 'FAILED', fields: { message: `exited with code ${status.code}${hint}`, exitCode: status.code } };
  }
  return { state: 'FAILED', fields: { message: `killed by signal ${status.signal ?? 'unknown'}` } };
}

/** The supervisor died (SIGKILL, OOM killer) before it could record anything. */
export function supervisorLostOutcome(supervisorPid: number, why: string): Outcome {
  return {
    state: 'FAILED',
    fields: { reason: 'REASON_EXECUTOR_TERMINATED', message: `the task's supervisor (pid ${supervisorPid}) ${why}; how the task ended is unknown` },
  };
}
