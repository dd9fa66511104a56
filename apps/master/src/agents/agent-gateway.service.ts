import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { createLogger, toPandoError, type Clock } from '@pando/common';
import {
  heartbeatRequestSchema,
  registerAgentRequestSchema,
  serveMessages,
  serveRequests,
  statusesOf,
  statusUpdateMessageSchema,
  Subjects,
  type HeartbeatReply,
  type StatusUpdateBatch,
} from '@pando/protocol';
import { MasterIdentity } from '../identity/master-identity';
import { AGENT_OBSERVER, CLOCK, NATS_CONNECTION } from '../master.tokens';
import { StatusUpdateRouter } from '../tasks/status-update.router';
import { AgentLivenessService } from './agent-liveness.service';
import { AgentMessenger } from './agent-messenger.service';
import { AgentRegistrationService } from './agent-registration.service';
import { AgentRegistry } from './agent-registry.service';
import type { AgentObserver } from './agent.observer';

/**
 * Agent-facing NATS subjects -> services, served by the leader only (a standby does not
 * subscribe). Decoding and schema checks happen in the transport; semantic checks in the
 * services, before any state changes.
 */
@Injectable()
export class AgentGateway implements OnModuleDestroy {
  private readonly log = createLogger('agent-gateway');
  private subscriptions: Subscription[] = [];

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly registration: AgentRegistrationService,
    private readonly registry: AgentRegistry,
    private readonly router: StatusUpdateRouter,
    private readonly messenger: AgentMessenger,
    private readonly liveness: AgentLivenessService,
    private readonly identity: MasterIdentity,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(AGENT_OBSERVER) private readonly observer: AgentObserver,
  ) {}

  /** This master leads: serve the agent subjects, then tell every agent to re-register. */
  async startLeading(): Promise<void> {
    const log = this.log;
    this.subscriptions = [
      serveRequests(this.nc, Subjects.agentRegister, registerAgentRequestSchema, 'agent registration', (req) => this.registration.register(req), log),
      serveRequests(this.nc, Subjects.agentHeartbeat, heartbeatRequestSchema, 'agent heartbeat', (req) => this.heartbeat(req.agentId), log),
      serveMessages(this.nc, Subjects.agentStatus, statusUpdateMessageSchema, 'status update', (batch) => this.statusUpdates(batch), log),
    ];
    void this.watchConnection();
    // The subscriptions must exist on the server before agents are told to re-register.
    await this.nc.flush();
    this.messenger.hello();
    this.log.info({ masterId: this.identity.masterId, epoch: this.identity.epoch }, 'serving agents; sent master hello');
  }

  onModuleDestroy(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
  }

  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') this.liveness.natsDisconnected();
      if (status.type === 'reconnect') this.liveness.natsReconnected();
    }
  }

  /** Each update of a batch is routed on its own: one the router refuses does not stop the others. */
  private statusUpdates(batch: StatusUpdateBatch): void {
    const { agentId } = batch;
    for (const status of statusesOf(batch)) {
      try {
        this.router.fromAgent({ agentId, status });
      } catch (err) {
        const error = toPandoError(err);
        this.log.warn({ subject: Subjects.agentStatus, agentId, taskId: status.taskId, code: error.code, details: error.details }, error.message);
      }
    }
  }

  heartbeat(agentId: string): HeartbeatReply {
    const epoch = this.identity.epoch;
    if (this.registry.heartbeat(agentId, this.clock.now())) {
      this.observer.agentHeartbeat?.(agentId);
      return { ok: true, epoch };
    }
    // Unknown (this master restarted) or unreachable: only a re-registration reports its tasks.
    this.log.debug({ agentId }, 'heartbeat from an unknown or unreachable agent: asking it to re-register');
    return { ok: false, epoch, reregister: true };
  }
}
