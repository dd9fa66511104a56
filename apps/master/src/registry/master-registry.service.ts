import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createLogger, describeError } from '@pando/common';
import type { AgentRecord } from '../agents/agent.record';
import { LEADER_KEY } from '../election/leader-info';
import type { FrameworkRecord } from '../frameworks/framework.record';
import { MASTER_OPTIONS_TOKEN } from '../master.tokens';
import type { MasterOptions } from '../master.options';
import type { KvValue } from './kv-bucket';
import { RegistryBucket } from './registry-bucket.service';
import { RegistryMirror } from './registry-mirror';
import { RegistryWriter } from './registry-writer';
import {
  AGENTS_PREFIX,
  FRAMEWORKS_PREFIX,
  POLICY_KEY,
  registryKey,
  storedAgentSchema,
  storedFrameworkSchema,
  storedPolicySchema,
  type RegistrySnapshot,
  type StoredAgent,
  type StoredFramework,
  type StoredPolicy,
} from './registry.records';
import type { RegistrySink } from './registry.sink';

const LOAD_RETRY_FIRST_MS = 200;
const LOAD_RETRY_MAX_MS = 3000;
/** How long a new leader waits for its live copy to reach the lease's revision before reading the bucket. */
const MIRROR_CATCH_UP_MS = 2000;

/**
 * The registry in KV: what a new leader needs that agents and frameworks cannot tell it (which
 * agents were admitted, which frameworks exist with what failover timeout, weights and quotas).
 * The leader loads it once when elected and keeps it up to date through a RegistryWriter; a
 * standby never writes.
 */
@Injectable()
export class MasterRegistry implements RegistrySink, OnModuleDestroy {
  private readonly log = createLogger('registry');
  private readonly writer: RegistryWriter;
  private mirror?: RegistryMirror;
  private stopped = false;

  constructor(
    private readonly bucket: RegistryBucket,
    @Inject(MASTER_OPTIONS_TOKEN) options: Pick<MasterOptions, 'registryBucket'>,
  ) {
    this.writer = new RegistryWriter(() => this.bucket.open(), this.log.child({ bucket: options.registryBucket }));
  }

  /** Writes made, failed and pending (for /health-style metrics and tests). */
  get writes(): { done: number; failed: number; pending: number } {
    return { done: this.writer.writes, failed: this.writer.failures, pending: this.writer.pending };
  }

  /** Resolves once every change so far is written. */
  flushed(): Promise<void> {
    return this.writer.idle();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.mirror?.stop();
    this.writer.stop();
  }

  /** A standby keeps a live copy of the registry, so that taking over needs no full read. */
  async standBy(): Promise<void> {
    if (this.mirror || this.stopped) return;
    this.mirror = new RegistryMirror(await this.bucket.open(), this.log);
    await this.mirror.start();
  }

  /**
   * The registry as of the lease won at `epoch`: from the live copy once it has seen that
   * revision (the lease is a key of the same bucket, so every record written before is in it),
   * else read whole, retrying until it succeeds (losing a NATS node can make the bucket
   * unavailable for a few seconds): a leader cannot serve before it knows its registry. What was
   * read becomes the writer's baseline, so unchanged records are not written again.
   */
  async load(epoch = 0): Promise<RegistrySnapshot> {
    const mirror = this.mirror;
    this.mirror = undefined;
    const copied = mirror ? await mirror.snapshotAt(epoch, MIRROR_CATCH_UP_MS) : undefined;
    mirror?.stop();
    if (copied) {
      const snapshot = this.parse(copied);
      this.writer.seed(snapshot.stored);
      return snapshot;
    }
    if (mirror) this.log.warn({ epoch, seen: mirror.seen }, `the registry copy did not reach revision ${epoch} in time: reading the bucket`);
    let delay = LOAD_RETRY_FIRST_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        const kv = await this.bucket.open();
        const snapshot = this.parse(await kv.snapshot());
        this.writer.seed(snapshot.stored);
        return snapshot;
      } catch (err) {
        if (this.stopped) throw err;
        this.log.warn({ attempt, retryInMs: delay, err: describeError(err) }, `cannot read the registry yet: ${describeError(err)}`);
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        delay = Math.min(delay * 2, LOAD_RETRY_MAX_MS);
      }
    }
  }

  agentChanged(agent: AgentRecord): void {
    this.writer.set(registryKey(AGENTS_PREFIX, agent.id), () => storedAgent(agent));
  }

  frameworkChanged(record: FrameworkRecord): void {
    if (!record.persisted) return;
    this.writer.set(registryKey(FRAMEWORKS_PREFIX, record.id), () => storedFramework(record));
  }

  frameworkForgotten(frameworkId: string): void {
    this.writer.set(registryKey(FRAMEWORKS_PREFIX, frameworkId), () => undefined);
  }

  policyChanged(policy: StoredPolicy): void {
    this.writer.set(POLICY_KEY, () => policy);
  }

  private parse(values: KvValue[]): RegistrySnapshot {
    const snapshot: RegistrySnapshot = { agents: [], frameworks: [], stored: new Map(), invalid: [] };
    for (const { key, value } of values) {
      if (key === LEADER_KEY) continue;
      const parsed = key.startsWith(AGENTS_PREFIX)
        ? storedAgentSchema.safeParse(value)
        : key.startsWith(FRAMEWORKS_PREFIX)
          ? storedFrameworkSchema.safeParse(value)
          : key === POLICY_KEY
            ? storedPolicySchema.safeParse(value)
            : undefined;
      if (!parsed) continue;
      if (!parsed.success) {
        snapshot.invalid.push(key);
        this.log.error({ key, problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, `registry record '${key}' is not valid: skipped`);
        continue;
      }
      snapshot.stored.set(key, JSON.stringify(value));
      if (key.startsWith(AGENTS_PREFIX)) snapshot.agents.push(parsed.data as StoredAgent);
      else if (key.startsWith(FRAMEWORKS_PREFIX)) snapshot.frameworks.push(parsed.data as StoredFramework);
      else snapshot.policy = parsed.data as StoredPolicy;
    }
    return snapshot;
  }
}

/** An agent as the registry keeps it (field order fixed: equal states give equal JSON). */
export function storedAgent(agent: AgentRecord): StoredAgent {
  const { info } = agent;
  const stored: StoredAgent = {
    id: agent.id,
    hostname: info.hostname,
    ...(info.httpPort === undefined ? {} : { httpPort: info.httpPort }),
    version: info.version,
    attributes: info.attributes,
    executors: [...info.executors],
    resources: agent.reportedResources.toJson(),
    registeredTime: agent.registeredTime,
    state: agent.active ? 'admitted' : 'unreachable',
  };
  if (!agent.dynamicReservations.isEmpty()) stored.reservations = agent.dynamicReservations.toJson();
  if (!agent.active && agent.unreachableTime !== undefined) stored.unreachableTime = agent.unreachableTime;
  return stored;
}

/** A framework as the registry keeps it. */
export function storedFramework(record: FrameworkRecord): StoredFramework {
  const state = record.phase === 'removed' ? 'removed' : record.phase === 'disconnected' ? 'disconnected' : 'active';
  const stored: StoredFramework = { id: record.id, info: record.info, registeredTime: record.registeredTime, state };
  if (record.connection !== undefined && state !== 'removed') stored.connection = record.connection;
  if (state !== 'active' && record.unregisteredTime !== undefined) stored.unregisteredTime = record.unregisteredTime;
  if (state === 'removed' && record.removalReason !== undefined) stored.removalReason = record.removalReason;
  return stored;
}
