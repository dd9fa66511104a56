import type { TaskState, TaskStatus } from '@pando/protocol';

/**
 * States only frameworks with the PARTITION_AWARE capability understand; the others get
 * TASK_LOST instead, as Mesos does for backward compatibility.
 */
const PARTITION_AWARE_ONLY: ReadonlySet<TaskState> = new Set<TaskState>(['UNREACHABLE', 'GONE', 'GONE_BY_OPERATOR', 'DROPPED', 'UNKNOWN']);

export function stateForFramework(state: TaskState, partitionAware: boolean): TaskState {
  return !partitionAware && PARTITION_AWARE_ONLY.has(state) ? 'LOST' : state;
}

/** The status as the framework should see it (the same object when nothing changes). */
export function statusForFramework(status: TaskStatus, partitionAware: boolean): TaskStatus {
  const state = stateForFramework(status.state, partitionAware);
  return state === status.state ? status : { ...status, state };
}
