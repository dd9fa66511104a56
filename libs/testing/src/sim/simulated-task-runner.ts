import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { RetryWheel, systemClock, TickBatcher, type Logger } from '@pando/common';
import {
  acksOf,
  agentSubjectVerb,
  decode,
  encodeBatches,
  killTaskMessageSchema,
  launchGroupsOf,
  launchTasksMessageSchema,
  MAX_BATCH_ITEMS,
  statusAckMessageSchema,
  Subjects,
  isTerminalState,
  type AgentStatus,
  type StatusUpdateMessage,
  type TaskInfo,
  type TaskReport,
  type TaskState,
  type TaskStatus,
} from '@pando/protocol';
import type { Executor, TaskDriver, TaskUpdateFields } from '@pando/sdk';

const RESEND_MS = 1000;

interface PendingUpdates {
  queue: StatusUpdateMessage[];
}

export interface SimulatedTaskRunnerOptions {
  /**
   * The epoch of the master each agent registered with (SimulatedAgentFleet.epochOf): messages
   * from an older epoch are dropped, as real agents drop a deposed master's messages.
   */
  epochOf?: (agentId: string) => number | undefined;
}

/**
 * Runs the tasks of every simulated agent of a fleet through one executor (the sim executor in
 * benchmarks), speaking the real agent protocol: launch and kill from the master, status
 * updates with uuids re-sent until acknowledged, in order per task, and the tasks of each agent
 * with their latest status for re-registration (`reports`). One wildcard subscription serves all
 * agents, so a thousand of them cost one subscription.
 */
export class SimulatedTaskRunner {
  private readonly pending = new Map<string, PendingUpdates>();
  private readonly tasks = new Map<string, TaskInfo>();
  private readonly latest = new Map<string, TaskStatus>();
  private readonly byAgent = new Map<string, Set<string>>();
  launched = 0;
  /** Messages dropped because they came from an older master epoch. */
  staleDropped = 0;
  /** As the agent's bus does: the updates of one event loop turn go out as one message per agent. */
  private readonly outbox: TickBatcher<AgentStatus>;
  /** Re-sends of unacknowledged heads, on one timer as the agent's status update manager does. */
  private readonly resends: RetryWheel<string>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly executor: Executor,
    private readonly log?: Logger,
    private readonly options: SimulatedTaskRunnerOptions = {},
  ) {
    this.outbox = new TickBatcher((agentId, statuses) => this.publishStatuses(agentId, statuses), log);
    this.resends = new RetryWheel(systemClock, (taskIds) => {
      for (const taskId of taskIds) {
        const entry = this.pending.get(taskId);
        if (entry) this.send(taskId, entry);
      }
    });
  }

  /** What an agent reports when it re-registers: each task it runs with its latest status. */
  reports(agentId: string): TaskReport[] {
    const reports: TaskReport[] = [];
    for (const taskId of this.byAgent.get(agentId) ?? []) {
      const task = this.tasks.get(taskId);
      const status = this.latest.get(taskId);
      if (task && status) reports.push({ task, status });
    }
    return reports;
  }

  start(): void {
    this.nc.subscribe(Subjects.agentInbox('*'), {
      callback: (err, msg) => {
        if (err) return;
        try {
          this.dispatch(msg.subject, agentSubjectVerb(msg.subject), msg.data);
        } catch (e) {
          this.log?.warn({ err: String(e), subject: msg.subject }, 'simulated agent dropped a message');
        }
      },
    });
  }

  private dispatch(subject: string, verb: string, data: Uint8Array): void {
    // pando.agent.<id>.<verb>
    const agentId = subject.slice('pando.agent.'.length, subject.length - verb.length - 1);
    if (verb === 'launch') {
      const message = decode(launchTasksMessageSchema, data, 'launch');
      if (this.stale(agentId, message.epoch)) return;
      for (const group of launchGroupsOf(message)) for (const task of group) this.launch(task);
    } else if (verb === 'kill') {
      const message = decode(killTaskMessageSchema, data, 'kill');
      if (this.stale(agentId, message.epoch)) return;
      void this.executor.kill(message.taskId, message.gracePeriodMs ?? 0);
    } else if (verb === 'status-ack') {
      const ack = decode(statusAckMessageSchema, data, 'status ack');
      if (this.stale(agentId, ack.epoch)) return;
      for (const { taskId, uuid } of acksOf(ack)) this.acknowledged(taskId, uuid);
    }
  }

  private stale(agentId: string, epoch: number): boolean {
    const current = this.options.epochOf?.(agentId);
    if (current === undefined || epoch >= current) return false;
    this.staleDropped++;
    return true;
  }

  private launch(task: TaskInfo): void {
    if (this.tasks.has(task.taskId)) return;
    this.tasks.set(task.taskId, task);
    let mine = this.byAgent.get(task.agentId);
    if (!mine) this.byAgent.set(task.agentId, (mine = new Set()));
    mine.add(task.taskId);
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
    this.latest.set(task.taskId, status);
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
    this.outbox.add(head.agentId, head.status);
    this.resends.schedule(taskId, RESEND_MS);
  }

  private acknowledged(taskId: string, uuid: string): void {
    const entry = this.pending.get(taskId);
    if (!entry || entry.queue[0]?.status.uuid !== uuid) return;
    this.resends.cancel(taskId);
    const done = entry.queue.shift();
    // A terminal task is forgotten once its last update is acknowledged (a real agent does the same).
    if (done && isTerminalState(done.status.state) && entry.queue.length === 0) {
      this.byAgent.get(done.status.agentId ?? '')?.delete(taskId);
      this.latest.delete(taskId);
    }
    if (entry.queue.length > 0) this.send(taskId, entry);
    else this.pending.delete(taskId);
  }

  private publishStatuses(agentId: string, statuses: AgentStatus[]): void {
    for (const data of encodeBatches({ agentId }, statuses, { one: 'status', many: 'statuses', maxItems: MAX_BATCH_ITEMS })) this.nc.publish(Subjects.agentStatus, data);
  }

  /** Updates sent but not yet acknowledged. */
  unacknowledged(): number {
    let n = 0;
    for (const entry of this.pending.values()) n += entry.queue.length;
    return n;
  }

  stop(): void {
    this.resends.clear();
    this.pending.clear();
    this.outbox.clear();
    void this.executor.shutdown?.();
  }
}
