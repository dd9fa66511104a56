import type { Executor, TaskDriver } from '@pando/sdk';

/**
 * Optional capabilities beyond the SDK's executor contract, probed for with `in` so that any
 * plugin may offer them without the contract changing (see the README's "SDK change requests").
 */

/** The agent's drivers can also save executor-owned data with the task's checkpoint. */
export interface CheckpointingTaskDriver extends TaskDriver {
  /**
   * Saves `data` with the task in the agent's checkpoint (replacing earlier data); after an agent
   * restart it comes back as `RecoveredTask.checkpoint`. Cheap: writes are batched.
   */
  checkpoint(data: Record<string, unknown>): void;
}

export function canCheckpoint(driver: TaskDriver): driver is CheckpointingTaskDriver {
  return typeof (driver as Partial<CheckpointingTaskDriver>).checkpoint === 'function';
}

/** The result of a command run beside (or inside) a task. */
export interface ExecResult {
  exitCode: number;
  /** The first few KB of combined output, for the status message. */
  output: string;
}

/** An executor that can run a command inside a task's environment (a container's namespaces). */
export interface ExecCapableExecutor extends Executor {
  /**
   * Runs `/bin/sh -c command` inside the task (e.g. `docker exec`) and resolves with its exit
   * code; rejects when it cannot be run or does not end within `timeoutMs`.
   */
  execInTask(taskId: string, command: string, timeoutMs: number): Promise<ExecResult>;
}

export function canExecInTask(executor: Executor): executor is ExecCapableExecutor {
  return typeof (executor as Partial<ExecCapableExecutor>).execInTask === 'function';
}
