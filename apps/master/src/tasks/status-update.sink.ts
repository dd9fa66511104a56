import type { TaskStatus } from '@pando/protocol';
import type { TaskRecord } from './task.record';

/**
 * Where recorded status updates go next. The frameworks layer implements this: it forwards
 * updates to the task's framework and calls `acknowledge` only once the framework has
 * acknowledged, so that the agent keeps re-sending until the update really reached someone.
 */
export interface StatusUpdateSink {
  /**
   * An agent's update was recorded (or is a re-send of one already recorded: same uuid); call
   * `acknowledge` (at once, or later) when the agent may be acknowledged. A callback rather than a
   * promise: tens of thousands of updates a second each paid for a promise and an async frame.
   * Not called for updates to terminal tasks.
   */
  forwardAgentUpdate(task: TaskRecord, status: TaskStatus, acknowledge: () => void): void;
  /** The master changed a task's state itself (agent unreachable, task lost); no ack involved. */
  forwardMasterUpdate(task: TaskRecord, status: TaskStatus): void;
}

/** Until frameworks exist there is nobody to wait for: acknowledge as soon as it is recorded. */
export class RecordOnlyStatusSink implements StatusUpdateSink {
  forwardAgentUpdate(_task: TaskRecord, _status: TaskStatus, acknowledge: () => void): void {
    acknowledge();
  }
  forwardMasterUpdate(): void {}
}

/** Hands the master's own updates (from a liveness check or a reconciliation) to the sink. */
export function forwardMasterUpdates(sink: StatusUpdateSink, updates: ReadonlyArray<{ task: TaskRecord; status: TaskStatus }>): void {
  for (const { task, status } of updates) sink.forwardMasterUpdate(task, status);
}
