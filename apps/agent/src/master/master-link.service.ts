import type { Subscription } from '@nats-io/transport-node';
import { Inject, Injectable } from '@nestjs/common';
import { createLogger, describeError, errorFromJson, PandoError, type Clock, type Logger, type TimerHandle } from '@pando/common';
import {
  heartbeatReplySchema,
  masterHelloSchema,
  PROTOCOL_VERSION,
  registerAgentReplySchema,
  Subjects,
  type HeartbeatReply,
  type MasterHello,
  type RegisterAgentReply,
  type RegisterAgentRequest,
} from '@pando/protocol';
import type { Resources } from '@pando/resources';
import { AGENT_CONFIG, type AgentConfig } from '../agent.options';
import { AGENT_EXIT, CLOCK, type AgentExit } from '../agent.tokens';
import { AGENT_RESOURCES, AGENT_VERSION } from '../agent.version';
import { AgentCheckpoint } from '../checkpoint/agent-checkpoint';
import { ExecutorCatalog } from '../executors/executor-catalog';
import { StatusUpdateManager } from '../status/status-update-manager';
import { AgentBus } from './agent-bus.service';
import { AgentSession } from './agent-session';

const REGISTER_TIMEOUT_MS = 5000;
const REGISTER_RETRY_FIRST_MS = 250;
const REGISTER_RETRY_MAX_MS = 5000;

/**
 * The agent's side of the master protocol: register (retrying with backoff while no master
 * answers), heartbeat, and re-register with tasks when the master changes or forgets the agent.
 */
@Injectable()
export class MasterLink {
  private readonly log: Logger = createLogger('agent.master-link');
  private stopped = false;
  private registering = false;
  private everRegistered = false;
  private wakeUp?: () => void;
  private heartbeatTimer?: TimerHandle;
  private unreachable = false;
  private helloSubscription?: Subscription;
  private httpPort?: number;
  private checkpointWritten = false;

  constructor(
    @Inject(AGENT_CONFIG) private readonly config: AgentConfig,
    @Inject(AGENT_RESOURCES) private readonly resources: Resources,
    @Inject(AGENT_VERSION) private readonly version: string,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(AGENT_EXIT) private readonly exit: AgentExit,
    private readonly bus: AgentBus,
    private readonly session: AgentSession,
    private readonly statusUpdates: StatusUpdateManager,
    private readonly executors: ExecutorCatalog,
    private readonly checkpoint: AgentCheckpoint,
  ) {}

  /** Starts registering; the bus must be connected. */
  start(httpPort: number): void {
    this.httpPort = httpPort;
    this.helloSubscription = this.bus.subscribe(Subjects.masterHello, masterHelloSchema, 'master hello', (hello) => this.onHello(hello), this.log);
    this.reregister('agent started');
  }

  stop(): void {
    this.stopped = true;
    if (this.heartbeatTimer) this.clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.wakeUp?.();
    this.helloSubscription?.unsubscribe();
  }

  /** (Re-)registers now; when a registration is already waiting for its next try, tries at once. */
  reregister(why: string): void {
    if (this.stopped) return;
    if (this.registering) {
      this.wakeUp?.();
      return;
    }
    void this.registerLoop(why);
  }

  /** The message the agent registers with (exposed for tests and the e2e harness). */
  registrationRequest(): RegisterAgentRequest {
    return {
      protocolVersion: PROTOCOL_VERSION,
      agentId: this.session.agentId,
      hostname: this.config.hostname,
      httpPort: this.httpPort,
      resources: this.resources.toJson(),
      attributes: this.config.attributes,
      version: this.version,
      executors: this.executors.availableIds(),
      tasks: this.statusUpdates.reports(),
    };
  }

  private async registerLoop(why: string): Promise<void> {
    this.registering = true;
    this.session.unregistered();
    this.log.info({ why, agentId: this.session.agentId }, this.everRegistered ? 're-registering with the master' : 'registering with the master');
    let delay = REGISTER_RETRY_FIRST_MS;
    let attempts = 0;
    try {
      while (!this.stopped) {
        attempts++;
        try {
          const reply = await this.bus.request(Subjects.agentRegister, this.registrationRequest(), registerAgentReplySchema, 'agent registration', REGISTER_TIMEOUT_MS);
          if (!reply.ok) throw errorFromJson(reply.error);
          await this.onRegistered(reply, attempts);
          return;
        } catch (err) {
          if (this.isFatal(err)) return;
          this.logRetry(err, attempts, delay);
        }
        await this.sleep(delay);
        delay = Math.min(delay * 2, REGISTER_RETRY_MAX_MS);
      }
    } finally {
      this.registering = false;
    }
  }

  /** The master refused the registration as invalid (version, resources): retrying cannot help. */
  private isFatal(err: unknown): boolean {
    if (!(err instanceof PandoError) || err.code !== 'INPUT') return false;
    this.log.error({ code: err.code, details: err.details }, `the master refused the registration: ${err.message}`);
    this.stop();
    this.exit(1, `the master refused the registration: ${err.message}`);
    return true;
  }

  private logRetry(err: unknown, attempts: number, delay: number): void {
    const unavailable = err instanceof PandoError && err.code === 'UNAVAILABLE';
    const fields = { attempt: attempts, retryInMs: delay, err: describeError(err) };
    if (!unavailable) this.log.warn(fields, 'registration failed; retrying');
    else if (attempts === 1) this.log.info(fields, 'no master answers registration yet; retrying with backoff');
    else this.log.debug(fields, 'no master answers registration yet');
  }

  private async onRegistered(reply: Extract<RegisterAgentReply, { ok: true }>, attempts: number): Promise<void> {
    const previousId = this.session.agentId;
    this.session.registeredWith(reply);
    this.everRegistered = true;
    this.unreachable = false;
    const retired = this.session.retiredAgentIds;
    if (previousId === undefined && retired.length > 0) {
      this.log.warn({ agentId: reply.agentId, previousAgentIds: retired }, `registered as new agent ${reply.agentId} (was ${retired.join(', ')})`);
    }
    if (previousId !== reply.agentId || !this.checkpointWritten) {
      // Also what it registered with: a restart compares its configuration to it.
      try {
        await this.checkpoint.write({ agentId: reply.agentId, hostname: this.config.hostname, resources: this.resources.toJson() });
        this.checkpointWritten = true;
      } catch (err) {
        this.log.error({ path: this.checkpoint.path, err: describeError(err) }, 'cannot checkpoint the agent id; a restart will register as a new agent');
      }
    }
    this.log.info(
      { agentId: reply.agentId, epoch: reply.epoch, masterId: reply.masterId, heartbeatIntervalMs: reply.heartbeatIntervalMs, attempts },
      'registered with master',
    );
    this.statusUpdates.resendAll();
    // Heartbeat at once: the master offers this agent's resources only after a heartbeat that
    // follows the registration, which proves the inbox subscription is in place.
    this.scheduleHeartbeat(0);
  }

  private onHello(hello: MasterHello): void {
    const current = this.session.epoch;
    if (current !== undefined && hello.epoch < current) {
      this.log.debug({ epoch: hello.epoch, current }, 'ignoring hello from an older master');
      return;
    }
    if (hello.epoch === current && this.session.registered) return;
    this.reregister(`master ${hello.masterId} started leading (epoch ${hello.epoch})`);
  }

  private scheduleHeartbeat(delayMs: number): void {
    if (this.stopped) return;
    // One heartbeat chain only: a registration may schedule one while another is in flight.
    if (this.heartbeatTimer) this.clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = this.clock.setTimeout(() => void this.heartbeat(), delayMs);
    this.heartbeatTimer.unref?.();
  }

  private async heartbeat(): Promise<void> {
    const interval = this.session.snapshot().heartbeatIntervalMs ?? 1000;
    const started = this.clock.now();
    const agentId = this.session.agentId;
    if (!this.registering && agentId) {
      try {
        const timeout = Math.min(Math.max(interval, 1000), REGISTER_TIMEOUT_MS);
        const reply = await this.bus.request(Subjects.agentHeartbeat, { agentId, epoch: this.session.epoch }, heartbeatReplySchema, 'heartbeat', timeout);
        this.onHeartbeatReply(reply);
      } catch (err) {
        this.onHeartbeatFailure(err);
      }
    }
    this.scheduleHeartbeat(Math.max(0, interval - (this.clock.now() - started)));
  }

  private onHeartbeatReply(reply: HeartbeatReply): void {
    if (this.unreachable) this.log.info({ epoch: reply.epoch }, 'master reachable again');
    this.unreachable = false;
    const current = this.session.epoch;
    // A master that does not know us asks for re-registration whatever its epoch; re-registering is always safe.
    if (reply.reregister) this.reregister(`master (epoch ${reply.epoch}) asked the agent to re-register`);
    else if (current === undefined || reply.epoch > current) this.reregister(`master epoch changed from ${current} to ${reply.epoch}`);
    else if (reply.epoch < current) this.log.debug({ epoch: reply.epoch, current }, 'ignoring heartbeat reply from an older master');
  }

  private onHeartbeatFailure(err: unknown): void {
    const unavailable = err instanceof PandoError && err.code === 'UNAVAILABLE';
    if (!unavailable) {
      this.log.warn({ err: describeError(err) }, 'heartbeat failed');
      return;
    }
    if (!this.unreachable) this.log.warn({ err: describeError(err) }, 'master unreachable');
    this.unreachable = true;
  }

  /** A backoff pause that reregister() (a master hello) or stop() can cut short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => done(), ms);
      const done = (): void => {
        this.clock.clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      this.wakeUp = done;
    });
  }
}
