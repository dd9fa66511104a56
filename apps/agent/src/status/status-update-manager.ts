import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { createLogger, describeError, RetryWheel, type Clock, type Logger } from '@pando/common';
import {
  isTerminalState,
  type StatusSource,
  type StatusUpdateMessage,
  type TaskInfo,
  type TaskReport,
  type TaskState,
  type TaskStatus,
} from '@pando/protocol';
import type { TaskUpdateFields } from '@pando/sdk';
import { CLOCK } from '../agent.tokens';
import { AgentSession } from '../master/agent-session';

/** A status as the agent sends it: always with a uuid. */
export type SentStatus = StatusUpdateMessage['status'];

/** Where status updates go (the master, over NATS). Fire and forget: retries are ours. */
export interface StatusPublisher {
  publishStatus(message: StatusUpdateMessage): void;
}
export const STATUS_PUBLISHER = Symbol('STATUS_PUBLISHER');

/** One task the agent knows, with its update stream. Plain data, so it can be checkpointed. */
export interface TaskRecord {
  taskId: string;
  frameworkId: string;
  /** Absent for updates about tasks the agent never had (LOST for a kill of an unknown task). */
  task?: TaskInfo;
  executor?: string;
  sandboxDir?: string;
  /** The latest status generated (the task's current state). */
  latest?: SentStatus;
  /** Unacknowledged updates in order; the head is the one in flight. */
  pending: SentStatus[];
  /** A terminal update was accepted: later updates are dropped. */
  terminal: boolean;
  /** Executor-owned data saved with the task (TaskDriver.checkpoint), handed back on recovery. */
  executorData?: Record<string, unknown>;
  /** When the agent accepted the launch (ms since the epoch): health check grace periods count from it. */
  launchedAt?: number;
}

/**
 * What changed about a task, for the checkpoint: `info` (the task, its sandbox), `state` (its
 * updates), `completed` (moved to the completed list), `removed` (forgotten).
 */
export type RecordChange = 'info' | 'state' | 'completed' | 'removed';

/** A task whose terminal update the master acknowledged. */
export interface CompletedTask {
  task: TaskInfo;
  executor?: string;
  sandboxDir?: string;
  status: SentStatus;
}

export interface StatusManagerSnapshot {
  tasks: TaskRecord[];
  completed: CompletedTask[];
}

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 10_000;
const COMPLETED_LIMIT = 200;

/**
 * Status updates are delivered at least once and in order, per task: a FIFO per task, only the
 * head in flight, re-sent with backoff until the master acknowledges its uuid. This is also the
 * agent's task table (records + completed list), kept in one place so it can be checkpointed.
 */
@Injectable()
export class StatusUpdateManager {
  private readonly records = new Map<string, TaskRecord>();
  private readonly completed: CompletedTask[] = [];
  private readonly completedIds = new Set<string>();
  /** Per task with an update in flight: the delay before its next re-send (backoff). */
  private readonly retryDelays = new Map<string, number>();
  /** When each head is re-sent, for every task on one timer (a task's timer each cost more than the update). */
  private readonly retries: RetryWheel<string>;
  private readonly log: Logger = createLogger('agent.status');
  private readonly listeners: Array<(taskId: string, change: RecordChange) => void> = [];

  constructor(
    @Inject(STATUS_PUBLISHER) private readonly publisher: StatusPublisher,
    private readonly session: AgentSession,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.retries = new RetryWheel(clock, (taskIds) => this.resendDue(taskIds));
  }

  /** Hears about every change of a task (the checkpoint batches them). */
  onChange(listener: (taskId: string, change: RecordChange) => void): void {
    this.listeners.push(listener);
  }

  /** Starts tracking a task; false when the id is already known (active or completed). */
  track(task: TaskInfo, executor: string): boolean {
    if (this.knows(task.taskId)) return false;
    this.records.set(task.taskId, { taskId: task.taskId, frameworkId: task.frameworkId, task, executor, pending: [], terminal: false, launchedAt: this.clock.now() });
    this.changed(task.taskId, 'info');
    return true;
  }

  setSandbox(taskId: string, sandboxDir: string): void {
    const record = this.records.get(taskId);
    if (!record) return;
    record.sandboxDir = sandboxDir;
    this.changed(taskId, 'info');
  }

  /** Saves executor-owned data with the task (replacing what was saved before). */
  setExecutorData(taskId: string, data: Record<string, unknown>): void {
    const record = this.records.get(taskId);
    if (!record || record.terminal) return;
    record.executorData = data;
    this.changed(taskId, 'state');
  }

  /**
   * Puts back what a checkpoint held, before anything else runs. Nothing is sent here: the
   * pending updates go out after the next registration (resendAll).
   */
  restore(records: readonly TaskRecord[], completed: readonly CompletedTask[]): void {
    for (const record of records) this.records.set(record.taskId, { ...record, pending: [...record.pending] });
    for (const entry of completed) {
      if (this.records.has(entry.task.taskId) || this.completedIds.has(entry.task.taskId)) continue;
      this.completed.push(entry);
      this.completedIds.add(entry.task.taskId);
    }
  }

  getCompleted(taskId: string): Readonly<CompletedTask> | undefined {
    if (!this.completedIds.has(taskId)) return undefined;
    return this.completed.find((c) => c.task.taskId === taskId);
  }

  knows(taskId: string): boolean {
    return this.records.has(taskId) || this.completedIds.has(taskId);
  }

  get(taskId: string): Readonly<TaskRecord> | undefined {
    return this.records.get(taskId);
  }

  /**
   * Records a state change and queues its update. Returns the status, or undefined when it was
   * dropped because the task already had a terminal update.
   */
  update(
    ref: { taskId: string; frameworkId: string },
    state: TaskState,
    fields: TaskUpdateFields = {},
    source: StatusSource = 'SOURCE_EXECUTOR',
  ): SentStatus | undefined {
    let record = this.records.get(ref.taskId);
    if (!record && this.completedIds.has(ref.taskId)) {
      this.log.debug({ taskId: ref.taskId, state }, 'dropping update for a completed task');
      return undefined;
    }
    if (!record) {
      record = { taskId: ref.taskId, frameworkId: ref.frameworkId, pending: [], terminal: false };
      this.records.set(ref.taskId, record);
      this.changed(ref.taskId, 'info');
    }
    if (record.terminal) {
      this.log.debug({ taskId: ref.taskId, state }, 'dropping update after a terminal one');
      return undefined;
    }
    const status = this.makeStatus(record, state, fields, source);
    record.latest = status;
    record.terminal = isTerminalState(state);
    record.pending.push(status);
    this.log.info(
      { taskId: record.taskId, frameworkId: record.frameworkId, state, reason: status.reason, message: status.message, exitCode: status.exitCode, uuid: status.uuid },
      `task ${record.taskId} is ${state}`,
    );
    this.changed(record.taskId, 'state');
    if (record.pending.length === 1) this.send(record, true);
    return status;
  }

  /** The master acknowledged (taskId, uuid): drop the head and send the next one. */
  acknowledge(taskId: string, uuid: string): boolean {
    const record = this.records.get(taskId);
    const head = record?.pending[0];
    if (!record || !head || head.uuid !== uuid) {
      this.log.debug({ taskId, uuid }, 'ignoring acknowledgement of an update that is not in flight');
      return false;
    }
    record.pending.shift();
    this.clearRetry(taskId);
    // Guarded: one per update, and the log object would be made even with debug off.
    if (this.log.isLevelEnabled('debug')) this.log.debug({ taskId, uuid, state: head.state }, 'status update acknowledged');
    if (record.pending.length > 0) this.send(record, true);
    else if (record.terminal) this.complete(record);
    if (this.records.has(taskId)) this.changed(taskId, 'state');
    return true;
  }

  /** After a (re-)registration the new master may have missed anything: send every head now. */
  resendAll(): void {
    for (const record of this.records.values()) {
      if (record.pending.length > 0) this.send(record, true);
    }
  }

  /**
   * What the agent tells the master on (re-)registration: every task of this agent id it has not
   * finished with. Tasks of an earlier identity (after an incompatible restart) are not reported:
   * a master refuses tasks that name another agent.
   */
  reports(): TaskReport[] {
    const reports: TaskReport[] = [];
    const agentId = this.session.agentId;
    for (const record of this.records.values()) {
      if (!record.task || record.task.agentId !== agentId) continue;
      reports.push({ task: record.task, status: record.latest ?? this.stagingStatus(record) });
    }
    return reports;
  }

  pendingCount(): number {
    let count = 0;
    for (const record of this.records.values()) count += record.pending.length;
    return count;
  }

  /** A copy of the whole state (records and completed tasks), for /state and checkpoints. */
  snapshot(): StatusManagerSnapshot {
    return {
      tasks: [...this.records.values()].map((r) => ({ ...r, pending: [...r.pending] })),
      completed: [...this.completed],
    };
  }

  /** Stops retrying (agent shutdown); state is kept. */
  stop(): void {
    this.retries.clear();
    this.retryDelays.clear();
  }

  private makeStatus(record: TaskRecord, state: TaskState, fields: TaskUpdateFields, source: StatusSource): SentStatus {
    const status: SentStatus = {
      taskId: record.taskId,
      frameworkId: record.frameworkId,
      // A task keeps the identity it was launched under, even after the agent took a new one.
      agentId: record.task?.agentId ?? this.session.agentId,
      state,
      uuid: randomUUID(),
      timestamp: this.clock.now(),
      source,
    };
    // Trimmed to what the wire schema accepts: an update the master refuses would be re-sent forever.
    if (fields.reason) status.reason = fields.reason.slice(0, 100);
    if (fields.message !== undefined) status.message = fields.message.slice(0, 8192);
    if (typeof fields.healthy === 'boolean') status.healthy = fields.healthy;
    if (Number.isInteger(fields.exitCode)) status.exitCode = fields.exitCode;
    return status;
  }

  private stagingStatus(record: TaskRecord): TaskStatus {
    return { taskId: record.taskId, frameworkId: record.frameworkId, agentId: this.session.agentId, state: 'STAGING', timestamp: this.clock.now(), source: 'SOURCE_AGENT' };
  }

  /** Publishes the head and arms its retry; `fresh` restarts the backoff at 500 ms. */
  private send(record: TaskRecord, fresh: boolean): void {
    const head = record.pending[0];
    if (!head) return;
    const delay = fresh ? RETRY_FIRST_MS : (this.retryDelays.get(record.taskId) ?? RETRY_FIRST_MS);
    this.publishHead(record, head);
    this.retryDelays.set(record.taskId, Math.min(delay * 2, RETRY_MAX_MS));
    this.retries.schedule(record.taskId, delay);
  }

  /** Heads the master has not acknowledged in time go out again, with the next backoff. */
  private resendDue(taskIds: string[]): void {
    for (const taskId of taskIds) {
      const record = this.records.get(taskId);
      if (!record?.pending[0]) continue;
      if (this.log.isLevelEnabled('debug')) this.log.debug({ taskId, uuid: record.pending[0].uuid }, 'status update not acknowledged; re-sending');
      this.send(record, false);
    }
  }

  private publishHead(record: TaskRecord, head: SentStatus): void {
    // Without an id there is no master to talk to yet; registration calls resendAll().
    if (!this.session.agentId) return;
    // An update goes out under the identity of its task (an earlier one after an incompatible restart).
    const agentId = head.agentId ?? this.session.agentId;
    head.agentId ??= agentId;
    try {
      this.publisher.publishStatus({ agentId, status: head });
    } catch (err) {
      this.log.debug({ taskId: record.taskId, err: describeError(err) }, 'could not publish a status update; will retry');
    }
  }

  private clearRetry(taskId: string): void {
    this.retries.cancel(taskId);
    this.retryDelays.delete(taskId);
  }

  private complete(record: TaskRecord): void {
    this.records.delete(record.taskId);
    this.clearRetry(record.taskId);
    // Updates about tasks the agent never had (LOST for an unknown kill) leave no trace.
    if (!record.task || !record.latest) {
      this.changed(record.taskId, 'removed');
      return;
    }
    this.completed.push({ task: record.task, executor: record.executor, sandboxDir: record.sandboxDir, status: record.latest });
    this.completedIds.add(record.taskId);
    this.changed(record.taskId, 'completed');
    while (this.completed.length > COMPLETED_LIMIT) {
      const evicted = this.completed.shift()!.task.taskId;
      this.completedIds.delete(evicted);
      this.changed(evicted, 'removed');
    }
  }

  private changed(taskId: string, change: RecordChange): void {
    for (const listener of this.listeners) listener(taskId, change);
  }
}
