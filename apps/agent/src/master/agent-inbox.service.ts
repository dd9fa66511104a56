import type { Msg, Subscription } from '@nats-io/transport-node';
import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { createLogger, InputError, type Logger } from '@pando/common';
import {
  acksOf,
  agentSubjectVerb,
  frameworkToExecutorMessageSchema,
  launchGroupsOf,
  killTaskMessageSchema,
  launchTasksMessageSchema,
  statusAckMessageSchema,
  Subjects,
  validate,
} from '@pando/protocol';
import { StatusUpdateManager } from '../status/status-update-manager';
import { TaskManager } from '../tasks/task-manager.service';
import { AgentBus } from './agent-bus.service';
import { AgentSession } from './agent-session';

/**
 * Everything the master sends to this agent arrives on one wildcard subscription
 * (pando.agent.<id>.>) and is dispatched by the subject's last token. Decoding happens in
 * serveMessages and validate(): a malformed message is logged and dropped, never acted on.
 */
@Injectable()
export class AgentInbox {
  private readonly log: Logger = createLogger('agent.inbox');
  private subscription?: Subscription;
  private retiredSubscriptions: Subscription[] = [];
  private started = false;

  constructor(
    private readonly bus: AgentBus,
    private readonly session: AgentSession,
    private readonly tasks: TaskManager,
    private readonly statusUpdates: StatusUpdateManager,
  ) {}

  /** Subscribes now when the id is known, and again whenever the id changes. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.session.onAgentIdChange((agentId) => this.subscribe(agentId));
    if (this.session.agentId) this.subscribe(this.session.agentId);
    // The last updates of an identity the agent gave up are acknowledged to that identity.
    for (const retired of this.session.retiredAgentIds) {
      const subject = Subjects.agentStatusAck(retired);
      this.retiredSubscriptions.push(this.bus.subscribe(subject, z.unknown(), 'agent message', (body, msg) => this.dispatch(body, msg), this.log));
    }
  }

  stop(): void {
    this.started = false;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    for (const subscription of this.retiredSubscriptions.splice(0)) subscription.unsubscribe();
  }

  private subscribe(agentId: string): void {
    if (!this.started) return;
    this.subscription?.unsubscribe();
    const subject = Subjects.agentInbox(agentId);
    this.subscription = this.bus.subscribe(subject, z.unknown(), 'agent message', (body, msg) => this.dispatch(body, msg), this.log);
    this.log.info({ subject }, 'listening for the master');
  }

  private async dispatch(body: unknown, msg: Msg): Promise<void> {
    const verb = agentSubjectVerb(msg.subject);
    switch (verb) {
      case 'launch': {
        const launch = validate(launchTasksMessageSchema, body, 'launch message');
        if (this.isStale(launch.epoch, verb)) return;
        for (const tasks of launchGroupsOf(launch)) await this.tasks.launchGroup({ frameworkId: launch.frameworkId, tasks });
        return;
      }
      case 'kill': {
        const kill = validate(killTaskMessageSchema, body, 'kill message');
        if (this.isStale(kill.epoch, verb)) return;
        await this.tasks.kill(kill);
        return;
      }
      case 'message': {
        const message = validate(frameworkToExecutorMessageSchema, body, 'framework message');
        if (this.isStale(message.epoch, verb)) return;
        await this.tasks.message(message);
        return;
      }
      case 'status-ack': {
        const ack = validate(statusAckMessageSchema, body, 'status acknowledgement');
        if (this.isStale(ack.epoch, verb)) return;
        for (const { taskId, uuid } of acksOf(ack)) this.statusUpdates.acknowledge(taskId, uuid);
        return;
      }
      default:
        throw new InputError(`unknown agent message '${verb}' on ${msg.subject}`);
    }
  }

  private isStale(epoch: number, verb: string): boolean {
    if (!this.session.isStale(epoch)) return false;
    this.log.debug({ verb, epoch, current: this.session.epoch }, `ignoring ${verb} from an older master`);
    return true;
  }
}
