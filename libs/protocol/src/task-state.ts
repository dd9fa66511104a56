/** Task states, as in Apache Mesos. */
export const TASK_STATES = [
  'STAGING',
  'STARTING',
  'RUNNING',
  'KILLING',
  'FINISHED',
  'FAILED',
  'KILLED',
  'ERROR',
  'LOST',
  'DROPPED',
  'UNREACHABLE',
  'GONE',
  'GONE_BY_OPERATOR',
  'UNKNOWN',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

const TERMINAL: ReadonlySet<TaskState> = new Set<TaskState>([
  'FINISHED',
  'FAILED',
  'KILLED',
  'ERROR',
  'LOST',
  'DROPPED',
  'GONE',
  'GONE_BY_OPERATOR',
]);

/** A terminal state never changes again (UNREACHABLE and UNKNOWN are not terminal). */
export function isTerminalState(state: TaskState): boolean {
  return TERMINAL.has(state);
}

/** Why a task is in its state: Mesos's reason names, so tools that know them can read ours. */
export const TASK_REASONS = [
  'REASON_COMMAND_EXECUTOR_FAILED',
  'REASON_EXECUTOR_TERMINATED',
  'REASON_SANDBOX_CREATION_FAILED',
  'REASON_TASK_KILLED_DURING_LAUNCH',
  'REASON_TASK_INVALID',
  'REASON_TASK_UNKNOWN',
  'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED',
  'REASON_TASK_CHECK_STATUS_UPDATED',
  'REASON_HEALTH_CHECK_FAILED',
  'REASON_CONTAINER_LIMITATION_MEMORY',
  'REASON_CONTAINER_LAUNCH_FAILED',
  'REASON_EXECUTOR_UNREGISTERED',
  'REASON_AGENT_DISCONNECTED',
  'REASON_AGENT_REMOVED',
  'REASON_AGENT_RESTARTED',
  'REASON_AGENT_UNKNOWN',
  'REASON_MASTER_DISCONNECTED',
  'REASON_RECONCILIATION',
  'REASON_INVALID_OFFERS',
  'REASON_RESOURCES_UNKNOWN',
  'REASON_FRAMEWORK_REMOVED',
  'REASON_EXECUTOR_UNKNOWN',
] as const;
export type TaskReason = (typeof TASK_REASONS)[number];
