import type { TaskState } from '@pando/protocol';
import type { TaskUpdateFields } from '@pando/sdk';
import type { ContainerStatus } from './docker-engine.adapter';

/** The terminal update for a container that stopped running. */
export interface TaskOutcome {
  state: TaskState;
  fields: TaskUpdateFields;
}

/**
 * Maps an ended container to the task's terminal state. A kill we asked for wins over how the
 * process died (SIGTERM/SIGKILL exit codes would otherwise look like failures); the kernel's OOM
 * killer wins over the exit code, because 137 alone cannot tell OOM from any other SIGKILL.
 */
export function outcomeOf(status: ContainerStatus, killRequested: boolean, memMb?: number): TaskOutcome {
  const exitCode = status.exitCode;
  if (killRequested) return { state: 'KILLED', fields: { message: `killed (container exited with code ${exitCode})`, exitCode } };
  if (status.oomKilled) {
    const limit = memMb !== undefined && memMb > 0 ? ` of ${memMb} MB` : '';
    return {
      state: 'FAILED',
      fields: {
        reason: 'REASON_CONTAINER_LIMITATION_MEMORY',
        message: `container was OOM-killed: it exceeded its memory limit${limit}`,
        exitCode,
      },
    };
  }
  if (exitCode === 0) return { state: 'FINISHED', fields: { message: 'exited with code 0', exitCode } };
  const engineError = status.error ? `: ${status.error}` : '';
  return { state: 'FAILED', fields: { message: `exited with code ${exitCode}${engineError}`, exitCode } };
}

/** A container that vanished (removed behind the executor's back, or never created). */
export function goneOutcome(containerName: string, why: string): TaskOutcome {
  return { state: 'FAILED', fields: { reason: 'REASON_EXECUTOR_TERMINATED', message: `container '${containerName}' ${why}` } };
}
