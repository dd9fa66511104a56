import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  publish,
  Subjects,
  type FrameworkToExecutorMessage,
  type KillTaskMessage,
  type LaunchTasksMessage,
  type MasterHello,
  type StatusAckMessage,
  type TaskInfo,
} from '@pando/protocol';
import { MasterIdentity } from '../identity/master-identity';
import { NATS_CONNECTION } from '../master.tokens';

/** Everything the master sends to agents, stamped with the current epoch. */
@Injectable()
export class AgentMessenger {
  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly identity: MasterIdentity,
  ) {}

  launch(agentId: string, frameworkId: string, tasks: TaskInfo[]): void {
    const message: LaunchTasksMessage = { epoch: this.identity.epoch, frameworkId, tasks };
    publish(this.nc, Subjects.agentLaunch(agentId), message);
  }

  kill(agentId: string, frameworkId: string, taskId: string, gracePeriodMs?: number): void {
    const message: KillTaskMessage = { epoch: this.identity.epoch, frameworkId, taskId };
    if (gracePeriodMs !== undefined) message.gracePeriodMs = gracePeriodMs;
    publish(this.nc, Subjects.agentKill(agentId), message);
  }

  acknowledge(agentId: string, taskId: string, uuid: string): void {
    const message: StatusAckMessage = { epoch: this.identity.epoch, taskId, uuid };
    publish(this.nc, Subjects.agentStatusAck(agentId), message);
  }

  /** A framework's message (base64) for the executor of one of its tasks on the agent. */
  frameworkMessage(agentId: string, frameworkId: string, taskId: string, data: string): void {
    const message: FrameworkToExecutorMessage = { epoch: this.identity.epoch, frameworkId, taskId, data };
    publish(this.nc, Subjects.agentMessage(agentId), message);
  }

  /** Tells every agent that this master leads now, so they re-register with their tasks. */
  hello(): void {
    const message: MasterHello = { epoch: this.identity.epoch, masterId: this.identity.masterId };
    publish(this.nc, Subjects.masterHello, message);
  }
}
