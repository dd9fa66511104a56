/**
 * bench:launch — how fast one framework launches tasks through the offer API, end to end:
 * a real master process and nats-server, AGENTS simulated agents (SimulatedAgentFleet) whose
 * tasks run in the sim executor (SimulatedTaskRunner, real agent protocol: launch, status updates
 * re-sent until acknowledged) in a child process, and one framework written with the SDK's
 * SchedulerDriver in this process.
 *
 *   npm run build && node dist/bench/launch.bench.js
 *   AGENTS=200 TASKS=10000 node dist/bench/launch.bench.js
 *
 * The framework fills each offer with as many tasks as fit (cpus:0.01;mem:1 each; agents hold
 * TASKS/AGENTS of them), keeping at most WINDOW tasks between ACCEPT and RUNNING (it sends the next
 * ACCEPT once the window has room for a whole offer) so that latency measures the master, not a
 * queue the benchmark built. Latency: ACCEPT sent -> the
 * framework sees RUNNING. Throughput: TASKS / (first ACCEPT -> last RUNNING).
 *
 * Why WINDOW = 100. A real framework accepts whole offers (one ACCEPT uses an offer up, here 50
 * tasks), so the window is a number of offers in flight, and by Little's law throughput is at
 * most WINDOW / latency: the window, not the master, can be the limit. 100 is two offers: the
 * framework has one ACCEPT coming up while it sends the next, the way a scheduler that launches as
 * offers arrive but waits for its launches to show up behaves. It sits at the knee of the curve
 * (2 cores, load 3-6): one offer in flight gave 4.6-5.2k tasks/s (p50 7-8 ms: the pipeline's own
 * latency for 50 tasks), two gave 6.2-6.3k (p50 12 ms), four 6.8-7.4k but p50 24 ms and six
 * 6.7-8.1k at p50 29-39 ms: past two offers more in flight mostly queues in front of the master,
 * which makes latency measure the queue and throughput measure how long the queue is.
 *
 * Env: AGENTS (1000), TASKS (50000), WINDOW (100), INTERVAL_MS (master allocation interval, 50),
 * CONNECTIONS (fleet NATS connections, 4), MASTER_PROFILE=1 (node --cpu-prof on the master; the
 * profile lands in MASTER_PROFILE_DIR, default the working directory), MASTER_NODE_ARGS (more
 * node flags for the master, e.g. --perf-basic-prof to profile it with Linux perf).
 * Progress goes to stderr; the last stdout line is one JSON object.
 */
import { readFileSync } from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { rootLogger } from '@pando/common';
import { SimExecutor } from '@pando/plugin-sim-executor';
import type { Offer, TaskSpec, TaskStatus } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { SchedulerDriver, type Scheduler } from '@pando/sdk';
import {
  appEntry,
  fetchJson,
  freePort,
  ManagedProcess,
  rssMb,
  SimulatedAgentFleet,
  SimulatedTaskRunner,
  startMaster,
  startNatsServer,
  waitFor,
} from '@pando/testing';
import { envInt } from './bench-env';

const AGENTS = envInt('AGENTS', 1000);
const TASKS = envInt('TASKS', 50_000);
const WINDOW = envInt('WINDOW', 100);
const INTERVAL_MS = envInt('INTERVAL_MS', 50);
const CONNECTIONS = envInt('CONNECTIONS', 4);
const TASK_CPUS = 0.01;
const TASK_MEM = 1;
const PER_AGENT = Math.ceil(TASKS / AGENTS);


function progress(message: string): void {
  process.stderr.write(`[bench:launch] ${message}\n`);
}

/**
 * The framework: holds offers, and while fewer than WINDOW tasks are on their way it fills the
 * next offer with as many tasks as fit (and as are left), accepting with refuseSeconds 0 so that
 * whatever an ACCEPT leaves comes back in the next cycle.
 */
class LaunchingFramework {
  readonly latencies: number[] = [];
  /** Offers held, each with how many tasks it fits (worked out once, when it arrives). */
  private readonly pool: Array<{ offer: Offer; fits: number }> = [];
  private readonly sentAt = new Map<string, number>();
  private launched = 0;
  private running = 0;
  private inFlight = 0;
  private sequence = 0;
  private firstSent = 0;
  private lastRunning = 0;
  private refusedOffers = 0;
  private failedTasks = 0;
  private done!: () => void;
  readonly finished = new Promise<void>((resolve) => (this.done = resolve));
  driver!: SchedulerDriver;

  get elapsedMs(): number {
    return this.lastRunning - this.firstSent;
  }

  get counts(): { launched: number; running: number; refusedOffers: number; failedTasks: number; pooled: number } {
    return { launched: this.launched, running: this.running, refusedOffers: this.refusedOffers, failedTasks: this.failedTasks, pooled: this.pool.length };
  }

  scheduler(): Scheduler {
    return {
      offers: (_driver, offers) => {
        for (const offer of offers) this.pool.push({ offer, fits: fits(offer) });
        this.pump();
      },
      rescinded: (_driver, offerId) => {
        const at = this.pool.findIndex((o) => o.offer.id === offerId);
        if (at >= 0) this.pool.splice(at, 1);
      },
      update: (_driver, status) => this.update(status),
    };
  }

  private update(status: TaskStatus): void {
    const sent = this.sentAt.get(status.taskId);
    if (sent === undefined) return;
    if (status.state === 'RUNNING') {
      const now = performance.now();
      this.latencies.push(now - sent);
      this.lastRunning = now;
      this.running++;
    } else {
      this.failedTasks++;
      progress(`task ${status.taskId} is ${status.state}: ${status.message ?? ''}`);
    }
    this.sentAt.delete(status.taskId);
    this.inFlight--;
    if (this.running + this.failedTasks >= TASKS) this.done();
    else this.pump();
  }

  /**
   * Fills the next offer whole ("as many tasks as fit") once the window has room for all of them:
   * topping the window up one task at a time would turn every RUNNING into an ACCEPT of one task.
   */
  private pump(): void {
    while (this.launched < TASKS && this.pool.length > 0) {
      const { offer, fits } = this.pool[0]!;
      const want = Math.min(fits, TASKS - this.launched, WINDOW);
      if (want === 0) {
        this.pool.shift();
        void this.driver.decline(offer, { refuseSeconds: 0 }).catch(() => undefined);
        continue;
      }
      if (WINDOW - this.inFlight < want) return;
      this.pool.shift();
      const tasks = this.tasks(offer, want);
      const now = performance.now();
      if (this.firstSent === 0) this.firstSent = now;
      for (const task of tasks) this.sentAt.set(task.taskId, now);
      this.launched += tasks.length;
      this.inFlight += tasks.length;
      void this.driver.launch(offer, tasks, { refuseSeconds: 0 }).then(
        (reply) => this.refused(reply.refusedOffers?.length ?? 0, tasks),
        (err: unknown) => {
          progress(`ACCEPT failed: ${String(err)}`);
          this.refused(1, tasks);
        },
      );
    }
  }

  private refused(count: number, tasks: TaskSpec[]): void {
    if (count === 0) return;
    // The offer was stale: those tasks never launch; take them back and try other offers.
    this.refusedOffers += count;
    for (const task of tasks) this.sentAt.delete(task.taskId);
    this.launched -= tasks.length;
    this.inFlight -= tasks.length;
    this.pump();
  }

  /** `count` tasks for the offer's agent. Plain specs: the driver validates the whole call anyway. */
  private tasks(offer: Offer, count: number): TaskSpec[] {
    const tasks: TaskSpec[] = [];
    for (let i = 0; i < count; i++) {
      tasks.push({
        taskId: `t-${this.sequence++}`,
        name: 'bench',
        agentId: offer.agentId,
        executor: 'sim',
        resources: [
          { name: 'cpus', type: 'SCALAR', scalar: { value: TASK_CPUS } },
          { name: 'mem', type: 'SCALAR', scalar: { value: TASK_MEM } },
        ],
      });
    }
    return tasks;
  }
}

/** How many tasks the offer holds. */
function fits(offer: Offer): number {
  const resources = Resources.fromJson(offer.resources);
  return Math.floor(Math.min(resources.scalar('cpus') / TASK_CPUS + 1e-9, resources.scalar('mem') / TASK_MEM + 1e-9));
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // After "pid (comm) ", utime and stime are the 12th and 13th fields, in clock ticks (100 Hz).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

interface BenchMaster {
  pid: number;
  state(): Promise<any>;
  stop(): Promise<void>;
}

/**
 * The master process; with MASTER_PROFILE=1 under `node --cpu-prof` (written when it exits), and
 * with MASTER_NODE_ARGS (e.g. `--perf-basic-prof` for Linux perf) given those node flags.
 */
async function startBenchMaster(natsUrl: string): Promise<BenchMaster> {
  const args = ['--allocation-interval-ms', String(INTERVAL_MS)];
  const env = { PANDO_LOG_LEVEL: 'warn' };
  const nodeArgs = (process.env.MASTER_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0);
  if (process.env.MASTER_PROFILE === '1') nodeArgs.push('--cpu-prof', '--cpu-prof-dir', process.env.MASTER_PROFILE_DIR ?? process.cwd());
  if (nodeArgs.length === 0) {
    const master = await startMaster({ natsUrl, args, env });
    return { pid: master.process.pid as number, state: () => master.state(), stop: () => master.stop() };
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = new ManagedProcess({
    name: 'master',
    command: process.execPath,
    args: [...nodeArgs, appEntry('master'), '--nats-servers', natsUrl, '--http', `127.0.0.1:${port}`, ...args],
    env,
  });
  await waitFor(() => fetchJson(`${url}/health`).then(() => true), `master on ${url}`, 60_000);
  progress(`master (pid ${proc.pid}) runs with node ${nodeArgs.join(' ')}`);
  return { pid: proc.pid as number, state: () => fetchJson(`${url}/master/state`), stop: () => proc.stop(30_000) };
}

// noAsyncTraces: nats.js would otherwise build an Error (a stack trace) for every request.
const open = (url: string): Promise<NatsConnection> => connect({ servers: url, noAsyncTraces: true });

/**
 * The simulated agents and their task runner, in a child process of the benchmark (so that the
 * agents' side and the framework's side each have a process, as they would in a cluster).
 */
async function runFleet(natsUrl: string): Promise<void> {
  rootLogger().level = process.env.PANDO_LOG_LEVEL ?? 'warn';
  const fleetConnections = await Promise.all(Array.from({ length: CONNECTIONS }, () => open(natsUrl)));
  const runnerConnection = await open(natsUrl);
  const agentResources = `cpus:${round(PER_AGENT * TASK_CPUS)};mem:${PER_AGENT * TASK_MEM}`;
  const fleet = new SimulatedAgentFleet(fleetConnections, { count: AGENTS, resources: Resources.parse(agentResources).toJson(), executors: ['sim'] });
  const runner = new SimulatedTaskRunner(runnerConnection, new SimExecutor());
  runner.start();
  await runnerConnection.flush();
  progress(`registering ${AGENTS} simulated agents (${agentResources} each)`);
  const registerSeconds = await fleet.registerAll(256);
  fleet.startHeartbeats();
  progress(`registered in ${registerSeconds.toFixed(2)} s`);
  process.stdout.write('fleet ready\n');
  const stop = (): void => {
    fleet.stop();
    runner.stop();
    process.stdout.write(`fleet done: launched ${runner.launched}, unacknowledged ${runner.unacknowledged()}\n`);
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function main(): Promise<void> {
  // The last stdout line is the result: the driver's info logs (JSON on stdout) stay out.
  rootLogger().level = process.env.PANDO_LOG_LEVEL ?? 'warn';
  const nats = await startNatsServer();
  const master = await startBenchMaster(nats.url);
  const fleet = new ManagedProcess({ name: 'fleet', command: process.execPath, args: [__filename, '--fleet', nats.url], echo: true });
  const frameworkConnection = await open(nats.url);
  const framework = new LaunchingFramework();
  try {
    await fleet.waitForLine('fleet ready', 120_000);
    progress(`launching ${TASKS} tasks, at most ${WINDOW} in flight`);
    framework.driver = new SchedulerDriver({ nc: frameworkConnection, scheduler: framework.scheduler(), frameworkInfo: { name: 'bench-launch' }, callTimeoutMs: 30_000 });
    const ticker = setInterval(() => progress(`${JSON.stringify(framework.counts)}`), 2000);
    const cpuBefore = { master: cpuSeconds(master.pid), nats: cpuSeconds(nats.process.pid as number), fleet: cpuSeconds(fleet.pid as number), bench: process.cpuUsage() };
    await framework.driver.start();
    await Promise.race([
      framework.finished,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`not done after 300 s: ${JSON.stringify(framework.counts)}`)), 300_000).unref()),
    ]);
    clearInterval(ticker);
    const benchCpu = process.cpuUsage(cpuBefore.bench);
    const cpu = {
      masterCpuSec: round(cpuSeconds(master.pid) - cpuBefore.master),
      natsCpuSec: round(cpuSeconds(nats.process.pid as number) - cpuBefore.nats),
      frameworkCpuSec: round((benchCpu.user + benchCpu.system) / 1e6),
      fleetCpuSec: round(cpuSeconds(fleet.pid as number) - cpuBefore.fleet),
      wallSec: round(framework.elapsedMs / 1000),
    };
    progress(`CPU during the launches: ${JSON.stringify(cpu)}; master µs of CPU per task: ${round((cpu.masterCpuSec * 1e6) / TASKS)}`);
    const masterRssMb = rssMb(master.pid);
    const sorted = [...framework.latencies].sort((a, b) => a - b);
    const state = await waitFor(() => master.state().then((s) => s), 'master state');
    const runningInState = (state.frameworks as Array<{ name: string; tasks: unknown[] }>).find((f) => f.name === 'bench-launch')?.tasks.length;
    progress(`done: ${JSON.stringify(framework.counts)}; master shows ${runningInState} live tasks`);
    console.log(
      JSON.stringify({
        bench: 'launch',
        agents: AGENTS,
        tasks: TASKS,
        tasksPerSec: round(TASKS / (framework.elapsedMs / 1000)),
        p50Ms: round(percentile(sorted, 50)),
        p99Ms: round(percentile(sorted, 99)),
        masterRssMb,
      }),
    );
  } finally {
    await framework.driver?.stop({ failover: true }).catch(() => undefined);
    await fleet.stop();
    await frameworkConnection.close().catch(() => undefined);
    await master.stop();
    await nats.stop();
  }
}

const run = process.argv[2] === '--fleet' ? runFleet(process.argv[3]!) : main();
run.then(
  () => {
    if (process.argv[2] !== '--fleet') process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`bench:launch failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
