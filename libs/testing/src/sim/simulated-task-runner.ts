import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '@pando/common';
import {
  agentSubjectVerb,
  decode,
  killTaskMessageSchema,
  launchTasksMessageSchema,
  publish,
  statusAckMessageSchema,
  Subjects,
  type StatusUpdateMessage,
  type TaskInfo,
  type TaskState,
  type TaskStatus,
} from '@pando/protocol';
import type { Executor, TaskDriver, TaskUpdateFields } from '@pando/sdk';

const RESEND_MS = 1000;

interface PendingUpdates {
  queue: StatusUpdateMessage[];
  timer?: NodeJS.Timeout;
}

/**
 * Runs the tasks of every simulated agent of a fleet through one executor (the sim executor in
 * benchmarks), speaking the real agent protocol: launch and kill from the master, status
 * updates with uuids re-sent until acknowledged, in order per task. One wildcard subscription
 * serves all agents, so a thousand of them cost one subscription.
 */
export class SimulatedTaskRunner {
  private readonly pending = new Map<string, PendingUpdates>();
  private readonly tasks = new Map<string, TaskInfo>();
  launched = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly executor: Executor,
    private readonly log?: Logger,
  ) {}

  start(): void {
    this.nc.subscribe(Subjects.agentInbox('*'), {
      callback: (err, msg) => {
        if (err) return;
        try {
          this.dispatch(agentSubjectVerb(msg.subject), msg.data);
        } catch (e) {
          this.log?.warn({ err: String(e), subject: msg.subject }, 'simulated agent dropped a message');
        }
      },
    });
  }

  private dispatch(verb: string, data: Uint8Array): void {
    if (verb === 'launch') {
      const message = decode(launchTasksMessageSchema, data, 'launch');
      for (const task of message.tasks) this.launch(task);
    } else if (verb === 'kill') {
      const message = decode(killTaskMessageSchema, data, 'kill');
      void this.executor.kill(message.taskId, message.gracePeriodMs ?? 0);
    } else if (verb === 'status-ack') {
      const ack = decode(statusAckMessageSchema, data, 'status ack');
      this.acknowledged(ack.taskId, ack.uuid);
    }
  }

  private launch(task: TaskInfo): void {
    if (this.tasks.has(task.taskId)) return;
    this.tasks.set(task.taskId, task);
    this.launched++;
    const driver: TaskDriver = { update: (state, fields) => this.update(task, state, fields) };
    void this.executor.launch({ task, sandboxDir: '/nonexistent', ports: [], env: {} }, driver);
  }

  private update(task: TaskInfo, state: TaskState, fields: TaskUpdateFields = {}): void {
    const status: TaskStatus & { uuid: string } = {
      taskId: task.taskId,
      frameworkId: task.frameworkId,
      agentId: task.agentId,
      state,
      uuid: randomUUID(),
      timestamp: Date.now(),
      source: 'SOURCE_EXECUTOR',
      ...fields,
    };
    let entry = this.pending.get(task.taskId);
    if (!entry) {
      entry = { queue: [] };
      this.pending.set(task.taskId, entry);
    }
    entry.queue.push({ agentId: task.agentId, status });
    if (entry.queue.length === 1) this.send(task.taskId, entry);
  }

  private send(taskId: string, entry: PendingUpdates): void {
    const head = entry.queue[0];
    if (!head) return;
    publish(this.nc, Subjects.agentStatus, head);
    entry.timer = setTimeout(() => this.send(taskId, entry), RESEND_MS);
  }

  private acknowledged(taskId: string, uuid: string): void {
    const entry = this.pending.get(taskId);
    if (!entry || entry.queue[0]?.status.uuid !== uuid) return;
    clearTimeout(entry.timer);
    entry.queue.shift();
    if (entry.queue.length > 0) this.send(taskId, entry);
    else this.pending.delete(taskId);
  }

  /** Updates sent but not yet acknowledged. */
  unacknowledged(): number {
    let n = 0;
    for (const entry of this.pending.values()) n += entry.queue.length;
    return n;
  }

  stop(): void {
    for (const entry of this.pending.values()) clearTimeout(entry.timer);
    this.pending.clear();
    void this.executor.shutdown?.();
  }
}
