/**
 * bench:failover — how long a master failover takes at scale: 3 real master processes sharing a
 * registry (one leads), AGENTS simulated agents (SimulatedAgentFleet, real agent protocol, in a
 * child process) running TASKS tasks in the sim executor (SimulatedTaskRunner), and one
 * framework written with the SDK's SchedulerDriver in this process. Once every task runs, the
 * leader is SIGKILLed; the clock runs until a standby leads (leaderSeconds), and until the new
 * leader has every agent re-registered and the framework was taken over and has every task
 * confirmed RUNNING by reconciliation (recoveredSeconds). lostTasks: tasks not confirmed RUNNING.
 *
 *   npm run build && node dist/bench/failover.bench.js
 *   AGENTS=200 TASKS=2000 NATS_NODES=3 node dist/bench/failover.bench.js
 *
 * Env: AGENTS (1000), TASKS (10000), NATS_NODES (1: one nats-server; 3: a JetStream cluster and
 * --kv-replicas 3), INTERVAL_MS (allocation interval, 50), CONNECTIONS (fleet NATS connections, 4),
 * MASTER_ARGS (more master flags, e.g. "--lease-ttl-ms 1000"), DEADLINE_S (60), MASTER_LOG_LEVEL (the
 * masters' log level, default warn; when set, the new leader's election and recovery lines are shown),
 * MASTER_NODE_ARGS (node flags for the masters, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"), MASTER_LOG_FILE
 * (where to write the new leader's log).
 * Progress goes to stderr; the last stdout line is one JSON object.
 */
import { writeFileSync } from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { rootLogger } from '@pando/common';
import { SimExecutor } from '@pando/plugin-sim-executor';
import type { Offer, TaskSpec, TaskStatus } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { SchedulerDriver, type Scheduler } from '@pando/sdk';
import {
  ManagedProcess,
  SimulatedAgentFleet,
  SimulatedTaskRunner,
  startMasters,
  startNatsCluster,
  startNatsServer,
  waitFor,
  waitForLeader,
  type RunningMaster,
} from '@pando/testing';
import { envInt } from './bench-env';

const AGENTS = envInt('AGENTS', 1000);
const TASKS = envInt('TASKS', 10_000);
const NATS_NODES = envInt('NATS_NODES', 1);
const INTERVAL_MS = envInt('INTERVAL_MS', 50);
const CONNECTIONS = envInt('CONNECTIONS', 4);
const DEADLINE_S = envInt('DEADLINE_S', 60);
const MASTERS = 3;
const TASK_CPUS = 0.01;
const TASK_MEM = 1;
const PER_AGENT = Math.ceil(TASKS / AGENTS);
/** Tasks asked about per explicit RECONCILE (a call stays far below NATS's 1 MB payload). */
const RECONCILE_BATCH = 2000;


function progress(message: string): void {
  process.stderr.write(`[bench:failover] ${message}\n`);
}

const round = (n: number): number => Math.round(n * 1000) / 1000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
// noAsyncTraces: nats.js would otherwise build an Error (a stack trace) for every request.
const open = (servers: string[]): Promise<NatsConnection> => connect({ servers, noAsyncTraces: true, maxReconnectAttempts: -1, reconnectTimeWait: 250 });

/**
 * The framework: fills every offer with tasks until TASKS run; after a failover it counts the
 * reconciliation answers (implicit, from the takeover, then explicit for what is still missing).
 */
class FailoverFramework {
  driver!: SchedulerDriver;
  readonly running = new Set<string>();
  readonly agentOf = new Map<string, string>();
  /** After the failover: tasks the new leader confirmed RUNNING, and tasks it said are not. */
  readonly confirmed = new Set<string>();
  readonly lost = new Map<string, string>();
  resubscribedAt = 0;
  /** When the last reconciliation answer came (the implicit reconciliation is over when they stop). */
  lastAnswerAt = 0;
  watching = false;
  private readonly askedAt = new Map<string, number>();
  private launched = 0;
  private sequence = 0;

  scheduler(): Scheduler {
    return {
      offers: (_driver, offers) => this.launch(offers),
      update: (_driver, status) => this.update(status),
      subscribed: (_driver, info) => {
        if (info.reconnected && this.watching && this.resubscribedAt === 0) {
          this.resubscribedAt = performance.now();
          progress(`framework taken over by the new leader (epoch ${info.epoch})`);
        }
      },
    };
  }

  private update(status: TaskStatus): void {
    if (!this.watching) {
      if (status.state === 'RUNNING') this.running.add(status.taskId);
      else if (status.state !== 'STARTING' && status.state !== 'STAGING') progress(`task ${status.taskId} is ${status.state}: ${status.message ?? ''}`);
      return;
    }
    if (this.resubscribedAt === 0) return;
    this.lastAnswerAt = performance.now();
    if (status.state === 'RUNNING') {
      this.confirmed.add(status.taskId);
      this.lost.delete(status.taskId);
    } else if (!this.confirmed.has(status.taskId)) this.lost.set(status.taskId, status.state);
  }

  private launch(offers: Offer[]): void {
    for (const offer of offers) {
      const want = Math.min(fits(offer), TASKS - this.launched);
      if (this.watching || want === 0) {
        void this.driver.decline(offer, { refuseSeconds: 3600 }).catch(() => undefined);
        continue;
      }
      const tasks: TaskSpec[] = [];
      for (let i = 0; i < want; i++) {
        const taskId = `f-${this.sequence++}`;
        this.agentOf.set(taskId, offer.agentId);
        tasks.push({ taskId, name: 'bench', agentId: offer.agentId, executor: 'sim', resources: Resources.parse(`cpus:${TASK_CPUS};mem:${TASK_MEM}`).toJson() });
      }
      this.launched += tasks.length;
      void this.driver.launch(offer, tasks, { refuseSeconds: 0 }).then(
        (reply) => {
          if ((reply.refusedOffers?.length ?? 0) > 0) this.launched -= tasks.length;
        },
        () => (this.launched -= tasks.length),
      );
    }
  }

  /**
   * Asks about the tasks not confirmed yet (the implicit reconciliation covers the tasks of the
   * agents back when the framework was taken over), each at most once a second: a task on an
   * agent that has not re-registered yet gets no answer until it has.
   */
  async reconcileMissing(): Promise<void> {
    const now = performance.now();
    const missing = [...this.running].filter((id) => !this.confirmed.has(id) && !this.lost.has(id) && now - (this.askedAt.get(id) ?? 0) > 1000);
    for (const id of missing) this.askedAt.set(id, now);
    for (let i = 0; i < missing.length; i += RECONCILE_BATCH) {
      const batch = missing.slice(i, i + RECONCILE_BATCH).map((taskId) => ({ taskId, agentId: this.agentOf.get(taskId) }));
      await this.driver.reconcile(batch).catch(() => undefined);
    }
  }
}

function fits(offer: Offer): number {
  const resources = Resources.fromJson(offer.resources);
  return Math.floor(Math.min(resources.scalar('cpus') / TASK_CPUS + 1e-9, resources.scalar('mem') / TASK_MEM + 1e-9));
}

/** The simulated agents and their task runner, in a child process (the agents' side of the cluster). */
async function runFleet(servers: string[]): Promise<void> {
  rootLogger().level = process.env.PANDO_LOG_LEVEL ?? 'warn';
  const fleetConnections = await Promise.all(Array.from({ length: CONNECTIONS }, () => open(servers)));
  const runnerConnection = await open(servers);
  const agentResources = `cpus:${round(PER_AGENT * TASK_CPUS)};mem:${PER_AGENT * TASK_MEM}`;
  let fleet: SimulatedAgentFleet | undefined;
  const runner = new SimulatedTaskRunner(runnerConnection, new SimExecutor(), undefined, { epochOf: (id) => fleet?.epochOf(id) });
  fleet = new SimulatedAgentFleet(fleetConnections, {
    count: AGENTS,
    resources: Resources.parse(agentResources).toJson(),
    executors: ['sim'],
    reports: (id) => runner.reports(id),
  });
  runner.start();
  await runnerConnection.flush();
  progress(`registering ${AGENTS} simulated agents (${agentResources} each)`);
  const seconds = await fleet.registerAll(256);
  fleet.startHeartbeats();
  fleet.followMasters();
  progress(`registered in ${seconds.toFixed(2)} s`);
  process.stdout.write('fleet ready\n');
  const stop = (): void => {
    fleet!.stop();
    runner.stop();
    process.stdout.write(
      `fleet done: launched ${runner.launched}, re-registrations ${fleet!.reregistrations}, stale messages dropped ${runner.staleDropped}, unacknowledged ${runner.unacknowledged()}\n`,
    );
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function startNats(): Promise<{ servers: string[]; stop(): Promise<void> }> {
  if (NATS_NODES === 1) {
    const nats = await startNatsServer();
    return { servers: [nats.url], stop: () => nats.stop() };
  }
  const cluster = await startNatsCluster({ nodes: NATS_NODES });
  return { servers: cluster.urls, stop: () => cluster.stop() };
}

/** Polls the standbys until one leads; returns it and when it was first seen leading. */
async function nextLeader(standbys: RunningMaster[]): Promise<{ master: RunningMaster; at: number }> {
  return waitFor(
    async () => {
      for (const m of standbys) {
        const health = await m.health().catch(() => undefined);
        if (health?.leader) return { master: m, at: performance.now() };
      }
      return undefined;
    },
    'a standby to lead',
    DEADLINE_S * 1000,
    10,
  );
}

async function main(): Promise<void> {
  rootLogger().level = process.env.PANDO_LOG_LEVEL ?? 'warn';
  const nats = await startNats();
  const natsUrl = nats.servers.join(',');
  const args = ['--allocation-interval-ms', String(INTERVAL_MS), '--kv-replicas', String(NATS_NODES === 1 ? 1 : 3)];
  args.push(...(process.env.MASTER_ARGS ?? '').split(' ').filter((a) => a.length > 0));
  const env: Record<string, string> = { PANDO_LOG_LEVEL: process.env.MASTER_LOG_LEVEL ?? 'warn' };
  const nodeArgs = (process.env.MASTER_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0);
  const masters = await startMasters(MASTERS, { natsUrl, args, env, nodeArgs });
  const fleet = new ManagedProcess({ name: 'fleet', command: process.execPath, args: [__filename, '--fleet', natsUrl], echo: true });
  const frameworkConnection = await open(nats.servers);
  const framework = new FailoverFramework();
  try {
    await fleet.waitForLine('fleet ready', 120_000);
    progress(`launching ${TASKS} tasks on ${AGENTS} agents`);
    framework.driver = new SchedulerDriver({ nc: frameworkConnection, scheduler: framework.scheduler(), frameworkInfo: { name: 'bench-failover', capabilities: ['PARTITION_AWARE'] }, callTimeoutMs: 30_000 });
    await framework.driver.start();
    await waitFor(() => framework.running.size >= TASKS, `${TASKS} tasks running`, 300_000, 50);
    const leader = await waitForLeader(masters);
    const epoch = (await leader.health()).epoch;
    progress(`${framework.running.size} tasks running; killing the leader ${leader.url} (epoch ${epoch})`);
    framework.watching = true;
    await sleep(500);

    const killedAt = performance.now();
    await leader.kill9();
    const next = await nextLeader(masters.filter((m) => m !== leader));
    const leaderSeconds = (next.at - killedAt) / 1000;
    progress(`${next.master.url} leads after ${leaderSeconds.toFixed(3)} s (epoch ${(await next.master.health()).epoch})`);

    let agentsBackAt = 0;
    const deadline = killedAt + DEADLINE_S * 1000;
    let lastReconcile = 0;
    while (performance.now() < deadline) {
      if (agentsBackAt === 0) {
        const health = await next.master.health().catch(() => undefined);
        if (health?.agents && health.agents.active >= AGENTS && health.agents.recovered === 0) {
          agentsBackAt = performance.now();
          progress(`all ${AGENTS} agents re-registered after ${((agentsBackAt - killedAt) / 1000).toFixed(3)} s`);
        }
      }
      const settled = framework.confirmed.size + framework.lost.size >= framework.running.size;
      if (agentsBackAt > 0 && framework.resubscribedAt > 0 && settled) break;
      // Once the answers to the implicit reconciliation stop coming, ask about the rest.
      const quiet = performance.now() - Math.max(framework.lastAnswerAt, framework.resubscribedAt) > 100;
      if (framework.resubscribedAt > 0 && quiet && performance.now() - lastReconcile > 100) {
        lastReconcile = performance.now();
        void framework.reconcileMissing();
      }
      await sleep(5);
    }
    const recoveredAt = Math.max(agentsBackAt, framework.resubscribedAt, performance.now());
    const lostTasks = framework.running.size - framework.confirmed.size;
    if (lostTasks > 0) {
      const sample = [...framework.lost].slice(0, 5);
      progress(`not confirmed RUNNING: ${lostTasks} (${framework.lost.size} answered otherwise, e.g. ${JSON.stringify(sample)})`);
    }
    progress(`taken over after ${((framework.resubscribedAt - killedAt) / 1000).toFixed(3)} s; ${framework.confirmed.size} tasks confirmed running`);
    if (process.env.MASTER_LOG_LEVEL) for (const line of next.master.process.lines.filter((l) => /leadership|recovery|election|registry/.test(l))) progress(`new leader: ${line}`);
    if (process.env.MASTER_LOG_FILE) writeFileSync(process.env.MASTER_LOG_FILE, `${next.master.process.lines.join('\n')}\n`);
    console.log(
      JSON.stringify({
        bench: 'failover',
        agents: AGENTS,
        tasks: TASKS,
        leaderSeconds: round(leaderSeconds),
        recoveredSeconds: round((recoveredAt - killedAt) / 1000),
        lostTasks,
      }),
    );
  } catch (err) {
    for (const m of masters) {
      progress(`master ${m.url}: ${m.process.running ? 'running' : `exited with ${m.process.exitCode}`}; last lines:`);
      for (const line of m.process.lines.slice(-15)) progress(`  ${line.slice(0, 600)}`);
    }
    throw err;
  } finally {
    await framework.driver?.stop({ failover: true }).catch(() => undefined);
    await fleet.stop();
    await frameworkConnection.close().catch(() => undefined);
    await Promise.all(masters.map((m) => m.stop().catch(() => undefined)));
    await nats.stop();
  }
}

const run = process.argv[2] === '--fleet' ? runFleet(process.argv[3]!.split(',')) : main();
run.then(
  () => {
    if (process.argv[2] !== '--fleet') process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`bench:failover failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
