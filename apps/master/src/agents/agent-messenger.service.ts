import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { createLogger, TickBatcher } from '@pando/common';
import {
  encodeBatches,
  MAX_BATCH_ITEMS,
  publish,
  Subjects,
  type FrameworkToExecutorMessage,
  type KillTaskMessage,
  type LaunchTasksMessage,
  type MasterHello,
  type StatusAck,
  type StatusAckMessage,
  type TaskInfo,
} from '@pando/protocol';
import { MasterIdentity } from '../identity/master-identity';
import { NATS_CONNECTION } from '../master.tokens';

/**
 * Everything the master sends to agents, stamped with the current epoch. Status acknowledgements
 * are batched per agent for one turn of the event loop (the acknowledgements of a framework's
 * ACKNOWLEDGE batch go out as one message per agent); anything else sent to an agent first sends
 * its waiting acknowledgements, so an agent hears things in the order the master decided them.
 */
@Injectable()
export class AgentMessenger implements OnModuleDestroy {
  private readonly log = createLogger('agent-messenger');
  private readonly acks = new TickBatcher<StatusAck>((agentId, acks) => this.sendAcks(agentId, acks), this.log);

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly identity: MasterIdentity,
  ) {}

  onModuleDestroy(): void {
    // Unsent acknowledgements are not lost: the agent re-sends those updates to the next master.
    this.acks.clear();
  }

  /** One launch group: all of its tasks start on the agent, or none does. */
  launch(agentId: string, frameworkId: string, tasks: TaskInfo[]): void {
    this.launchGroups(agentId, frameworkId, [tasks]);
  }

  /**
   * Several independent launch groups (an ACCEPT's tasks) in as few messages as fit; a lone group
   * goes in the single-group form.
   */
  launchGroups(agentId: string, frameworkId: string, groups: TaskInfo[][]): void {
    if (groups.length === 0) return;
    this.acks.flushKey(agentId);
    const subject = Subjects.agentLaunch(agentId);
    const head: Omit<LaunchTasksMessage, 'tasks' | 'groups'> = { epoch: this.identity.epoch, frameworkId };
    for (const data of encodeBatches(head, groups, { one: 'tasks', many: 'groups', maxItems: MAX_BATCH_ITEMS })) this.nc.publish(subject, data);
  }

  kill(agentId: string, frameworkId: string, taskId: string, gracePeriodMs?: number): void {
    const message: KillTaskMessage = { epoch: this.identity.epoch, frameworkId, taskId };
    if (gracePeriodMs !== undefined) message.gracePeriodMs = gracePeriodMs;
    this.acks.flushKey(agentId);
    publish(this.nc, Subjects.agentKill(agentId), message);
  }

  /** The update (taskId, uuid) is acknowledged: the agent may send the task's next one. */
  acknowledge(agentId: string, taskId: string, uuid: string): void {
    this.acks.add(agentId, { taskId, uuid });
  }

  /** A framework's message (base64) for the executor of one of its tasks on the agent. */
  frameworkMessage(agentId: string, frameworkId: string, taskId: string, data: string): void {
    const message: FrameworkToExecutorMessage = { epoch: this.identity.epoch, frameworkId, taskId, data };
    this.acks.flushKey(agentId);
    publish(this.nc, Subjects.agentMessage(agentId), message);
  }

  /** Tells every agent that this master leads now, so they re-register with their tasks. */
  hello(): void {
    const message: MasterHello = { epoch: this.identity.epoch, masterId: this.identity.masterId };
    publish(this.nc, Subjects.masterHello, message);
  }

  private sendAcks(agentId: string, acks: StatusAck[]): void {
    const subject = Subjects.agentStatusAck(agentId);
    const epoch = this.identity.epoch;
    if (acks.length === 1) {
      const message: StatusAckMessage = { epoch, ...acks[0]! };
      publish(this.nc, subject, message);
      return;
    }
    for (const data of encodeBatches({ epoch }, acks, { many: 'acks', maxItems: MAX_BATCH_ITEMS })) this.nc.publish(subject, data);
  }
}
