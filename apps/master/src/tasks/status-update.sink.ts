import type { TaskStatus } from '@pando/protocol';
import type { TaskRecord } from './task.record';

/**
 * Where recorded status updates go next. The frameworks layer implements this: it forwards
 * updates to the task's framework and resolves `forwardAgentUpdate` only once the framework has
 * acknowledged, so that the agent keeps re-sending until the update really reached someone.
 */
export interface StatusUpdateSink {
  /**
   * An agent's update was recorded (or is a re-send of one already recorded: same uuid);
   * resolve when the agent may be acknowledged. Not called for updates to terminal tasks.
   */
  forwardAgentUpdate(task: TaskRecord, status: TaskStatus): Promise<void> | void;
  /** The master changed a task's state itself (agent unreachable, task lost); no ack involved. */
  forwardMasterUpdate(task: TaskRecord, status: TaskStatus): void;
}

/** Until frameworks exist there is nobody to wait for: acknowledge as soon as it is recorded. */
export class RecordOnlyStatusSink implements StatusUpdateSink {
  forwardAgentUpdate(): void {}
  forwardMasterUpdate(): void {}
}

/** Hands the master's own updates (from a liveness check or a reconciliation) to the sink. */
export function forwardMasterUpdates(sink: StatusUpdateSink, updates: ReadonlyArray<{ task: TaskRecord; status: TaskStatus }>): void {
  for (const { task, status } of updates) sink.forwardMasterUpdate(task, status);
}
