/**
 * bench:chronos — the Chronos plugin keeping time at scale: JOBS jobs, each every PERIOD_S s,
 * for DURATION_S s, on AGENTS simulated agents. Real processes for nats-server, the master and
 * the framework host (with the chronos plugin, exactly as deployed); the agents are simulated
 * in this process (SimulatedAgentFleet + SimulatedTaskRunner + the sim executor, real protocol),
 * tasks last TASK_MS.
 *
 * Measured here, independently of Chronos's own bookkeeping: every task the agents were asked
 * to launch, with the time it reported RUNNING. Lateness is RUNNING minus the scheduled instant;
 * `missed` counts scheduled instants that never ran; `doubled` counts instants that were
 * launched more than once (two task ids for one run, or a run id seen twice).
 *
 * Env: JOBS (1000), AGENTS (50), PERIOD_S (10), DURATION_S (60), TASK_MS (500),
 * SPREAD ('aligned': every job at the same instants; 'spread': starts spread over the period),
 * LEAD_S (20: time from posting the jobs to the first instant), WARMUP_ROUNDS (0: instants run
 * before the measured ones, to measure warm processes; they are checked for doubles, not timed).
 * Last stdout line: one JSON object.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { parseRunId, RUN_ID_LABEL } from '@pando/plugin-chronos';
import { SIM_DURATION_LABEL, SimExecutor } from '@pando/plugin-sim-executor';
import { Resources } from '@pando/resources';
import type { TaskDriver, TaskLaunch } from '@pando/sdk';
import { SimulatedAgentFleet, SimulatedTaskRunner, startFrameworkHost, startMaster, startNatsServer, waitFor } from '@pando/testing';

const jobs = Number(process.env.JOBS ?? 1000);
const agents = Number(process.env.AGENTS ?? 50);
const periodS = Number(process.env.PERIOD_S ?? 10);
const durationS = Number(process.env.DURATION_S ?? 60);
const taskMs = Number(process.env.TASK_MS ?? 500);
const spread = (process.env.SPREAD ?? 'aligned') === 'spread';
const leadS = Number(process.env.LEAD_S ?? 20);
const warmupRounds = Number(process.env.WARMUP_ROUNDS ?? 0);

function progress(message: string): void {
  process.stderr.write(`[bench:chronos] ${new Date().toISOString().slice(11, 23)} ${message}\n`);
}

/** Every launch the simulated agents received: run id, job, instant, task id, RUNNING time. */
interface Launch {
  runId: string;
  job: string;
  instantMs: number;
  taskId: string;
  runningAtMs: number;
}

/** The sim executor, recording when each task reported RUNNING (it does at launch). */
class RecordingSimExecutor extends SimExecutor {
  readonly launches: Launch[] = [];

  override async launch(launch: TaskLaunch, driver: TaskDriver): Promise<void> {
    const runningAtMs = Date.now();
    const runId = launch.task.labels?.[RUN_ID_LABEL] ?? '?';
    const { jobName, instantMs } = parseRunId(runId);
    this.launches.push({ runId, job: jobName, instantMs, taskId: launch.task.taskId, runningAtMs });
    return super.launch(launch, driver);
  }
}

async function postJobs(url: string, firstInstantMs: number): Promise<number[]> {
  const starts: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs) {
      const i = next++;
      // Spread: job i starts i x (period / jobs) after the first instant, on whole milliseconds.
      const start = firstInstantMs + (spread ? Math.floor((i * periodS * 1000) / jobs) : 0);
      starts[i] = start;
      const body = {
        name: `bench-${String(i).padStart(4, '0')}`,
        command: 'true',
        schedule: `R${Math.floor(durationS / periodS) + warmupRounds}/${new Date(start - warmupRounds * periodS * 1000).toISOString()}/PT${periodS}S`,
        executor: 'sim',
        labels: { [SIM_DURATION_LABEL]: String(taskMs) },
        cpus: 0.1,
        mem: 32,
        disk: 1,
      };
      const res = await fetch(`${url}/v1/scheduler/iso8601`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status !== 204) throw new Error(`posting ${body.name} -> ${res.status}: ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return starts;
}

/** Where the time went, from Chronos's side: instant -> ACCEPT sent -> RUNNING, over a sample of jobs; and its launch rounds. */
async function diagnose(url: string, count: number): Promise<void> {
  const toLaunch: number[] = [];
  const toRunning: number[] = [];
  for (let i = 0; i < count; i += Math.max(1, Math.floor(count / 50))) {
    const name = `bench-${String(i).padStart(4, '0')}`;
    const { runs } = (await fetch(`${url}/v1/scheduler/job/${name}/runs`).then((r) => r.json())) as { runs: Array<Record<string, string | null>> };
    for (const run of runs) {
      if (!run.launchedAt || !run.startedAt) continue;
      toLaunch.push(Date.parse(run.launchedAt) - Date.parse(run.scheduledAt!));
      toRunning.push(Date.parse(run.startedAt) - Date.parse(run.launchedAt));
    }
  }
  toLaunch.sort((a, b) => a - b);
  toRunning.sort((a, b) => a - b);
  progress(`sampled runs: instant->ACCEPT sent p50 ${percentile(toLaunch, 50)} p99 ${percentile(toLaunch, 99)} ms; ACCEPT->RUNNING p50 ${percentile(toRunning, 50)} p99 ${percentile(toRunning, 99)} ms`);
  const metrics = (await fetch(`${url}/v1/scheduler/metrics`).then((r) => r.json())) as Record<string, unknown>;
  if (process.env.BENCH_VERBOSE === '1') progress(`metrics: ${JSON.stringify(metrics)}`);
  else progress(`launcher: ${JSON.stringify(metrics.launcher)}; host event loop delay: ${JSON.stringify(metrics.eventLoopDelayMs)}`);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const runsPerJob = Math.floor(durationS / periodS);
  const nats = await startNatsServer();
  const master = await startMaster({ natsUrl: nats.url, env: { PANDO_LOG_LEVEL: 'warn' } });
  const ncs: NatsConnection[] = await Promise.all(Array.from({ length: 4 }, () => connect({ servers: nats.url })));
  const fleet = new SimulatedAgentFleet(ncs, { count: agents, resources: Resources.parse('cpus:32;mem:65536;disk:200000').toJson(), executors: ['sim'] });
  const executor = new RecordingSimExecutor();
  const runner = new SimulatedTaskRunner(ncs[0]!, executor);
  runner.start();
  let host: Awaited<ReturnType<typeof startFrameworkHost>> | undefined;
  try {
    await fleet.registerAll();
    fleet.startHeartbeats();
    progress(`${agents} simulated agents registered`);
    host = await startFrameworkHost({
      natsUrl: nats.url,
      plugins: ['chronos'],
      pluginIds: ['chronos'],
      // The host's default lease (10 s), not the test harness's 3 s: a loaded machine must not cost the lease.
      leaseTtlMs: 10_000,
      env: { PANDO_LOG_LEVEL: process.env.HOST_LOG_LEVEL ?? 'warn' },
    });
    await host.waitLeading('chronos', 30_000);
    const url = host.urls.chronos!;
    const firstInstantMs = Math.ceil((Date.now() + (leadS + warmupRounds * periodS) * 1000) / 1000) * 1000;
    const postStart = Date.now();
    const starts = await postJobs(url, firstInstantMs);
    progress(`posted ${jobs} jobs in ${Date.now() - postStart} ms; first instant in ${firstInstantMs - Date.now()} ms; ${runsPerJob} runs each, every ${periodS} s (${spread ? 'spread' : 'aligned'})`);

    const lastInstantMs = Math.max(...starts) + (runsPerJob - 1) * periodS * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, lastInstantMs - Date.now() + 3000)));
    await waitFor(() => runner.unacknowledged() === 0 || undefined, 'status updates acknowledged', 20_000).catch(() => undefined);

    const expected = new Set<string>();
    starts.forEach((start, i) => {
      for (let k = 0; k < runsPerJob; k++) expected.add(`bench-${String(i).padStart(4, '0')}@${start + k * periodS * 1000}`);
    });
    const byRun = new Map<string, Launch[]>();
    const warmup = new Map<string, Launch[]>();
    for (const launch of executor.launches) {
      const key = `${launch.job}@${launch.instantMs}`;
      const into = launch.instantMs < starts[Number(launch.job.slice(6))]! ? warmup : byRun;
      into.set(key, [...(into.get(key) ?? []), launch]);
    }
    const runs = [...byRun.keys()].filter((key) => expected.has(key)).length;
    const missed = [...expected].filter((key) => !byRun.has(key)).length;
    const doubled = [...byRun.values(), ...warmup.values()].filter((l) => l.length > 1 || new Set(l.map((x) => x.taskId)).size > 1).length;
    if (warmupRounds > 0) progress(`warm-up: ${warmup.size} runs of ${warmupRounds * jobs} before the measured instants`);
    const unexpected = [...byRun.keys()].filter((key) => !expected.has(key)).length;
    const lateness = [...byRun.values()].map((l) => l[0]!.runningAtMs - l[0]!.instantMs).sort((a, b) => a - b);

    const summary = await fetch(`${url}/v1/scheduler/jobs`).then((r) => r.json() as Promise<Array<Record<string, number>>>);
    const counted = summary.reduce((acc, j) => ({ success: acc.success + j.successCount!, skipped: acc.skipped + j.skippedCount!, errors: acc.errors + j.errorCount! }), { success: 0, skipped: 0, errors: 0 });
    progress(`chronos counted ${counted.success} successes, ${counted.skipped} skipped, ${counted.errors} errors; ${unexpected} unexpected runs`);
    await diagnose(url, starts.length);
    // Lateness per round (the k-th instant of every job): the first rounds pay for cold code (JIT) in every process.
    const perRound = Array.from({ length: runsPerJob }, (_, k) => {
      const late = [...byRun.entries()]
        .filter(([key]) => { const [name, instant] = key.split('@'); return Number(instant) === starts[Number(name!.slice(6))]! + k * periodS * 1000; })
        .map(([, l]) => l[0]!.runningAtMs - l[0]!.instantMs)
        .sort((a, b) => a - b);
      return `#${k}: p50 ${percentile(late, 50)} p99 ${percentile(late, 99)}`;
    });
    progress(`lateness per round (ms): ${perRound.join('; ')}`);
    progress(`lateness ms: min ${lateness[0]} p50 ${percentile(lateness, 50)} p90 ${percentile(lateness, 90)} p99 ${percentile(lateness, 99)} max ${lateness[lateness.length - 1]}`);
    console.log(
      JSON.stringify({
        bench: 'chronos',
        jobs,
        runs,
        expectedRuns: expected.size,
        lateMsP50: percentile(lateness, 50),
        lateMsP99: percentile(lateness, 99),
        missed,
        doubled,
      }),
    );
    if (missed > 0 || doubled > 0 || process.env.BENCH_VERBOSE === '1') {
      for (const [name, proc] of [['master', master.process], ['framework host', host.process]] as const) {
        const warnings = proc.lines.filter((line) => /"level":(4|5|6)0/.test(line) || !line.startsWith('{'));
        progress(`${name} (${proc.running ? 'running' : `exited with ${proc.exitCode}`}): ${warnings.length} warnings and errors:\n${warnings.slice(-30).map((l) => l.slice(0, 400)).join('\n')}`);
      }
    }
  } finally {
    fleet.stop();
    runner.stop();
    await host?.stop().catch(() => undefined);
    await Promise.all(ncs.map((nc) => nc.close()));
    await master.stop();
    await nats.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:chronos failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
