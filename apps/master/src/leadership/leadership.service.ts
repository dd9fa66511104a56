import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createLogger, type Clock, type TimerHandle } from '@pando/common';
import { Resources } from '@pando/resources';
import type { Allocator } from '../allocation';
import { AgentGateway } from '../agents/agent-gateway.service';
import { AgentLivenessService } from '../agents/agent-liveness.service';
import { AgentRegistry } from '../agents/agent-registry.service';
import { ExecutorMessageRelay } from '../frameworks/executor-message.relay';
import { FrameworkHeartbeats } from '../frameworks/framework-heartbeat.service';
import { FrameworkLifecycle } from '../frameworks/framework-lifecycle.service';
import { FrameworkRegistry } from '../frameworks/framework-registry.service';
import { SchedulerGateway } from '../frameworks/scheduler-gateway.service';
import { MasterIdentity } from '../identity/master-identity';
import { ALLOCATOR, CLOCK, MASTER_OPTIONS_TOKEN } from '../master.tokens';
import type { MasterOptions } from '../master.options';
import { OfferService } from '../offers/offer.service';
import { OperatorGateway } from '../operator/operator-gateway.service';
import { MasterRegistry } from '../registry/master-registry.service';
import type { RegistrySnapshot, StoredPolicy } from '../registry/registry.records';
import { RecoveryGate } from './recovery-gate.service';

/**
 * What a master does when it wins the lease, in order: take the epoch; load the registry (agents
 * become "recovered" until they re-register, frameworks come back with their info and failover
 * timeouts, weights and quotas apply); serve the operator, scheduler and agent subjects, then say
 * MasterHello so that agents re-register with their tasks. Offers, and frameworks being told who
 * leads, wait until recovery is done (RecoveryGate); agents of the registry that have not come
 * back by the recovery timeout are unreachable from then on.
 */
@Injectable()
export class Leadership implements OnModuleDestroy {
  private readonly log = createLogger('leadership');
  private expiry?: TimerHandle;

  constructor(
    private readonly identity: MasterIdentity,
    private readonly registry: MasterRegistry,
    private readonly agents: AgentRegistry,
    private readonly frameworks: FrameworkRegistry,
    private readonly lifecycle: FrameworkLifecycle,
    @Inject(ALLOCATOR) private readonly allocator: Allocator,
    private readonly recovery: RecoveryGate,
    private readonly offers: OfferService,
    private readonly liveness: AgentLivenessService,
    private readonly heartbeats: FrameworkHeartbeats,
    private readonly operatorGateway: OperatorGateway,
    private readonly schedulerGateway: SchedulerGateway,
    private readonly agentGateway: AgentGateway,
    private readonly executorMessages: ExecutorMessageRelay,
    @Inject(MASTER_OPTIONS_TOKEN) private readonly options: MasterOptions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async begin(epoch: number): Promise<void> {
    this.identity.lead(epoch, this.clock.now());
    const started = Date.now();
    const snapshot = await this.registry.load(epoch);
    const expected = this.restore(snapshot);
    this.log.info(
      { epoch, agents: snapshot.agents.length, frameworks: snapshot.frameworks.length, invalid: snapshot.invalid.length, loadMs: Date.now() - started },
      `leading with epoch ${epoch}: registry loaded (${snapshot.agents.length} agents, ${snapshot.frameworks.length} frameworks)`,
    );
    // Counting starts before agents can reach this master; what recovery unlocks waits for the gateways.
    this.recovery.begin(expected);
    this.liveness.startLeading();
    this.heartbeats.startLeading();
    await this.operatorGateway.startLeading();
    await this.schedulerGateway.startLeading();
    await this.executorMessages.startLeading();
    // Last: MasterHello goes out once every subject is served.
    await this.agentGateway.startLeading();
    this.recovery.onDone(() => this.recovered());
    // Agents of the registry get the whole recovery timeout to come back, even when enough others
    // came back sooner (they are probably on their way): only then are the missing ones unreachable.
    this.expiry = this.clock.setTimeout(() => this.expireMissingAgents(), this.options.recoveryTimeoutMs);
    this.expiry.unref?.();
  }

  onModuleDestroy(): void {
    if (this.expiry) this.clock.clearTimeout(this.expiry);
  }

  /** Applies the registry; returns the ids of the agents a recovery waits for. */
  private restore(snapshot: RegistrySnapshot): string[] {
    const expected: string[] = [];
    for (const stored of snapshot.agents) {
      const { id, hostname, httpPort, version, attributes, executors } = stored;
      const info = httpPort === undefined ? { hostname, version, attributes, executors } : { hostname, httpPort, version, attributes, executors };
      const reservations = stored.reservations ? Resources.fromJson(stored.reservations) : undefined;
      this.agents.restore({ id, info, totals: Resources.fromJson(stored.resources), registeredTime: stored.registeredTime, unreachable: stored.state === 'unreachable', ...(reservations ? { reservations } : {}) });
      if (stored.state === 'admitted') expected.push(id);
    }
    for (const stored of snapshot.frameworks) this.lifecycle.restore(stored);
    this.applyPolicy(snapshot.policy);
    return expected;
  }

  /** Flags given to this master win (and are stored); without any, the stored weights and quotas apply. */
  private applyPolicy(stored: StoredPolicy | undefined): void {
    const { weights, quotas } = this.options;
    if (Object.keys(weights).length > 0 || Object.keys(quotas).length > 0) {
      const policy: StoredPolicy = { weights: { ...weights }, quotas: {} };
      for (const [role, quota] of Object.entries(quotas)) policy.quotas[role] = { guarantee: quota.guarantee.toJson(), limit: quota.limit.toJson() };
      this.registry.policyChanged(policy);
      return;
    }
    if (!stored) return;
    if (Object.keys(stored.weights).length > 0) this.allocator.setWeights(stored.weights);
    for (const [role, quota] of Object.entries(stored.quotas)) {
      this.allocator.setQuota(role, { guarantee: Resources.fromJson(quota.guarantee), limit: Resources.fromJson(quota.limit) });
    }
    this.log.info({ weights: stored.weights, quotas: Object.keys(stored.quotas) }, 'weights and quotas taken from the registry');
  }

  /** The recovery timeout passed: agents of the registry that did not come back are unreachable. */
  private expireMissingAgents(): void {
    const missing = this.agents.expireRecovered(this.clock.now());
    for (const agent of missing) this.registry.agentChanged(agent);
    if (missing.length > 0) {
      const ids = missing.slice(0, 20).map((a) => a.id);
      this.log.warn({ agents: ids, count: missing.length }, `${missing.length} agents did not re-register within ${this.options.recoveryTimeoutMs} ms: unreachable`);
    }
  }

  /**
   * Enough agents are back (or the time is up): offers start, and frameworks from the registry
   * that did not re-subscribe are told who leads.
   */
  private recovered(): void {
    this.offers.startLeading();
    for (const record of [...this.frameworks.values()]) {
      if (this.lifecycle.takeOver(record)) this.heartbeats.probe(record);
    }
  }
}
