import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  decode,
  encode,
  heartbeatRequestSchema,
  registerAgentRequestSchema,
  statusesOf,
  statusUpdateMessageSchema,
  Subjects,
  type HeartbeatRequest,
  type KillTaskMessage,
  type LaunchTasksMessage,
  type RegisterAgentRequestParsed,
  type StatusUpdateMessage,
} from '@pando/protocol';

type Reply = Record<string, unknown>;

/**
 * A scripted stand-in for the master, for agent tests: answers registration and heartbeats,
 * records status updates (validated against the protocol schemas) and acknowledges them as the
 * test's policy says. It talks to a real nats-server; the agent under test is real.
 */
export class FakeMaster {
  readonly registrations: RegisterAgentRequestParsed[] = [];
  readonly heartbeats: HeartbeatRequest[] = [];
  readonly statuses: StatusUpdateMessage[] = [];
  epoch = 1;
  masterId = 'fake-master';
  heartbeatIntervalMs = 200;
  /** Whether to acknowledge this delivery (1-based count per uuid). */
  ackPolicy: (status: StatusUpdateMessage['status'], delivery: number) => boolean = () => true;
  registerReply?: (req: RegisterAgentRequestParsed) => Reply;
  heartbeatReply?: (req: HeartbeatRequest) => Reply | undefined;
  private readonly deliveries = new Map<string, number>();
  private ids = 0;

  private constructor(private readonly nc: NatsConnection) {}

  static async start(url: string): Promise<FakeMaster> {
    const master = new FakeMaster(await connect({ servers: url }));
    master.serve();
    await master.nc.flush();
    return master;
  }

  private serve(): void {
    this.nc.subscribe(Subjects.agentRegister, {
      callback: (_err, msg) => {
        const req = decode(registerAgentRequestSchema, msg.data, 'registration');
        this.registrations.push(req);
        const reply = this.registerReply?.(req) ?? {
          ok: true,
          agentId: req.agentId ?? `agent-${++this.ids}`,
          epoch: this.epoch,
          masterId: this.masterId,
          heartbeatIntervalMs: this.heartbeatIntervalMs,
        };
        msg.respond(encode(reply));
      },
    });
    this.nc.subscribe(Subjects.agentHeartbeat, {
      callback: (_err, msg) => {
        const req = decode(heartbeatRequestSchema, msg.data, 'heartbeat');
        this.heartbeats.push(req);
        const reply = this.heartbeatReply ? this.heartbeatReply(req) : { ok: true, epoch: this.epoch };
        if (reply) msg.respond(encode(reply));
      },
    });
    this.nc.subscribe(Subjects.agentStatus, {
      callback: (_err, msg) => {
        const batch = decode(statusUpdateMessageSchema, msg.data, 'status update');
        // A batch is recorded as the single updates it carries.
        for (const status of statusesOf(batch)) {
          this.statuses.push({ agentId: batch.agentId, status });
          const delivery = (this.deliveries.get(status.uuid) ?? 0) + 1;
          this.deliveries.set(status.uuid, delivery);
          if (this.ackPolicy(status, delivery)) this.ack(batch.agentId, status.taskId, status.uuid);
        }
      },
    });
  }

  ack(agentId: string, taskId: string, uuid: string, epoch = this.epoch): void {
    this.nc.publish(Subjects.agentStatusAck(agentId), encode({ epoch, taskId, uuid }));
  }

  launch(agentId: string, message: LaunchTasksMessage): void {
    this.nc.publish(Subjects.agentLaunch(agentId), encode(message));
  }

  kill(agentId: string, message: KillTaskMessage): void {
    this.nc.publish(Subjects.agentKill(agentId), encode(message));
  }

  hello(epoch: number, masterId = this.masterId): void {
    this.nc.publish(Subjects.masterHello, encode({ epoch, masterId }));
  }

  /** Raw bytes, for malformed-message tests. */
  publishRaw(subject: string, data: string): void {
    this.nc.publish(subject, new TextEncoder().encode(data));
  }

  statesOf(taskId: string): string[] {
    return this.statuses.filter((s) => s.status.taskId === taskId).map((s) => s.status.state);
  }

  async stop(): Promise<void> {
    await this.nc.close();
  }
}
