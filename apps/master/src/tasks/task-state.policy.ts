import type { MissingTaskState } from './task-table.service';

/**
 * Framework-dependent choices about task states that the agents layer needs: a task a
 * re-registering agent no longer reports is GONE for a partition-aware framework and LOST for
 * the others (Mesos's PARTITION_AWARE rule). The frameworks layer implements it.
 */
export interface TaskStatePolicy {
  missingTaskState: MissingTaskState;
}

/** Without frameworks, every missing task is LOST. */
export const LOST_POLICY: TaskStatePolicy = { missingTaskState: () => 'LOST' };
