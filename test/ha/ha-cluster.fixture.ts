import { rmSync } from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Offer, TaskStatus } from '@pando/protocol';
import {
  killProcessesUnder,
  startAgent,
  startMaster,
  startMasters,
  startNatsCluster,
  waitFor,
  waitForLeader,
  type AgentOptions,
  type RunningAgent,
  type RunningMaster,
  type RunningNatsCluster,
} from '@pando/testing';
import { TestFramework } from '../offer-api/test-framework.fixture';

const TRANSIENT = new Set(['STAGING', 'STARTING']);

/** Lease and timeouts of the HA suites: quick failovers and detections, still with a margin. */
export const LEASE_TTL_MS = 1500;
export const AGENT_HEARTBEAT_MS = 500;
export const AGENT_MAX_MISSED = 4;
export const HA_MASTER_ARGS = [
  '--kv-replicas', '3',
  '--lease-ttl-ms', String(LEASE_TTL_MS),
  '--heartbeat-interval-ms', String(AGENT_HEARTBEAT_MS),
  '--max-missed-heartbeats', String(AGENT_MAX_MISSED),
  '--framework-heartbeat-interval-ms', '500',
  '--allocation-interval-ms', '50',
  '--recovery-timeout-ms', '5000',
];

/**
 * The production shape on loopback: a 3-node NATS cluster with JetStream, several masters sharing
 * a registry bucket with 3 replicas (one leads), real agents running command tasks. Every client
 * is given every NATS URL, as deployments do.
 */
export class HaCluster {
  agents: RunningAgent[] = [];
  masters: RunningMaster[] = [];
  private readonly connections: NatsConnection[] = [];

  private constructor(readonly nats: RunningNatsCluster) {}

  /** `--nats-servers` for every process: all three nodes. */
  get natsUrl(): string {
    return this.nats.urls.join(',');
  }

  static async start(options: { masters?: number; agents?: number; masterArgs?: string[]; agentOptions?: Partial<AgentOptions> } = {}): Promise<HaCluster> {
    const cluster = new HaCluster(await startNatsCluster({ nodes: 3 }));
    try {
      cluster.masters = await startMasters(options.masters ?? 3, { natsUrl: cluster.natsUrl, args: [...HA_MASTER_ARGS, ...(options.masterArgs ?? [])] });
      await cluster.leader();
      for (let i = 0; i < (options.agents ?? 2); i++) await cluster.addAgent({ hostname: `ha-node-${i + 1}`, ...options.agentOptions });
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  async addAgent(options: Partial<AgentOptions> = {}): Promise<RunningAgent> {
    const agent = await startAgent({ natsUrl: this.natsUrl, ...options });
    this.agents.push(agent);
    return agent;
  }

  /** A standby master started later (as a supervisor would restart a crashed one). */
  async addMaster(masterId: string): Promise<RunningMaster> {
    const master = await startMaster({ natsUrl: this.natsUrl, masterId, args: HA_MASTER_ARGS });
    this.masters.push(master);
    return master;
  }

  /** The one leading master, once it has recovered. */
  leader(timeoutMs = 30_000): Promise<RunningMaster> {
    return waitForLeader(this.masters, timeoutMs);
  }

  /** A NATS connection to the whole cluster (reconnecting forever), closed by stop(). */
  async connect(): Promise<NatsConnection> {
    const nc = await connect({ servers: this.nats.urls, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    this.connections.push(nc);
    return nc;
  }

  async stop(): Promise<void> {
    for (const nc of this.connections) await nc.close().catch(() => undefined);
    await Promise.all(this.agents.map((a) => a.stop().catch(() => undefined)));
    await Promise.all(this.masters.map((m) => m.stop().catch(() => undefined)));
    await this.nats.stop().catch(() => undefined);
    for (const agent of this.agents) {
      killProcessesUnder(agent.workDir);
      rmSync(agent.workDir, { recursive: true, force: true });
    }
  }
}

/** Counts what a framework heard, per task. */
export class TaskLedger {
  /** Every task the framework sent in an ACCEPT, with what the ACCEPT answered. */
  readonly launched = new Map<string, 'accepted' | 'refused' | 'unknown'>();
  /** The agent each task was sent to (reconciliation names it: the master then answers GONE, not UNKNOWN). */
  readonly agentOf = new Map<string, string>();

  constructor(private readonly fw: TestFramework) {}

  /** The latest state the framework heard for a task (any source). */
  latest(taskId: string): TaskStatus | undefined {
    for (let i = this.fw.updates.length - 1; i >= 0; i--) if (this.fw.updates[i]!.taskId === taskId) return this.fw.updates[i];
    return undefined;
  }

  /** Updates with a uuid (sent by agents, to be acknowledged), and how many distinct ones. */
  agentUpdates(): { received: number; distinct: number } {
    const withUuid = this.fw.updates.filter((u) => u.uuid !== undefined);
    return { received: withUuid.length, distinct: new Set(withUuid.map((u) => u.uuid)).size };
  }

  /**
   * Launches `count` tasks of `command` (with the task id in its command line, to find its
   * processes) on the offer, recording what the ACCEPT answered. A call that got no answer (the
   * leader died under it) is 'unknown': reconciliation must settle it.
   */
  async launch(offer: Offer, ids: string[], command: (taskId: string) => string, extra: Parameters<TestFramework['task']>[4] = {}): Promise<void> {
    const tasks = ids.map((id) => this.fw.task(offer, id, 'cpus:0.1;mem:16', command(id), { taskId: id, ...extra }));
    for (const id of ids) this.agentOf.set(id, offer.agentId);
    try {
      const reply = await this.fw.driver.launch(offer, tasks, { refuseSeconds: 0 });
      for (const id of ids) this.launched.set(id, (reply.refusedOffers?.length ?? 0) > 0 ? 'refused' : 'accepted');
    } catch {
      for (const id of ids) this.launched.set(id, 'unknown');
    }
  }

  /**
   * Reconciles every launched task until the framework has an answer for each from the current
   * epoch's master (explicit reconciliation answers each task it is asked about) and none is
   * still starting, and returns the latest state of each.
   */
  async settle(timeoutMs = 30_000): Promise<Map<string, TaskStatus>> {
    const ids = [...this.launched.keys()];
    const from = this.fw.updates.length;
    await waitFor(
      async () => {
        const answered = new Set(this.fw.updates.slice(from).map((u) => u.taskId));
        // A task still STAGING/STARTING is on its way (its agent resends what the dead leader
        // never acknowledged): asked again until its state settles.
        const missing = ids.filter((id) => !answered.has(id) || TRANSIENT.has(this.latest(id)?.state ?? ''));
        if (missing.length === 0) return true;
        await this.fw.driver.reconcile(missing.map((taskId) => ({ taskId, agentId: this.agentOf.get(taskId) }))).catch(() => undefined);
        return false;
      },
      'an answer for every launched task',
      timeoutMs,
      1000,
    );
    return new Map(ids.map((id) => [id, this.latest(id)!]));
  }
}
