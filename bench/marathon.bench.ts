/**
 * bench:marathon — the Marathon plugin scaling one app from 0 to INSTANCES and back to 0 on
 * AGENTS simulated agents: a real nats-server, a real master process, a real framework host
 * process running the marathon plugin (with `command-executor=sim`), and in this process a
 * SimulatedAgentFleet whose tasks run through the sim executor (SimulatedTaskRunner: the real
 * agent protocol, status updates re-sent until acknowledged).
 *
 * Scale-up is timed from the PUT until Marathon's `/v2/apps` reports INSTANCES tasks RUNNING;
 * scale-down from the PUT until it reports none left. Last stdout line: one JSON object.
 *
 *   npm run build && node dist/bench/marathon.bench.js
 *   AGENTS=100 INSTANCES=10000 node dist/bench/marathon.bench.js
 *
 * Env: AGENTS (100), INSTANCES (10000), CONNECTIONS (4), ALLOCATION_INTERVAL_MS (master default),
 * HOST_NODE_OPTIONS (e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the framework host).
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SimExecutor } from '@pando/plugin-sim-executor';
import { Resources } from '@pando/resources';
import { rssMb, SimulatedAgentFleet, SimulatedTaskRunner, startFrameworkHost, startMaster, startNatsServer, waitFor, type RunningFrameworkHost } from '@pando/testing';

const agents = Number(process.env.AGENTS ?? 100);
const instances = Number(process.env.INSTANCES ?? 10_000);
const connections = Number(process.env.CONNECTIONS ?? 4);
const allocationIntervalMs = process.env.ALLOCATION_INTERVAL_MS;
const APP_ID = '/bench/sleepers';

function progress(message: string): void {
  process.stderr.write(`[bench:marathon] ${message}\n`);
}

interface AppCounts {
  tasksRunning: number;
  tasksStaged: number;
  instances: number;
  deployments: unknown[];
}

async function counts(url: string): Promise<AppCounts | undefined> {
  const res = await fetch(`${url}/v2/apps?id=${encodeURIComponent(APP_ID)}`);
  const body = (await res.json()) as { apps: Array<AppCounts & { id: string }> };
  return body.apps.find((a) => a.id === APP_ID);
}

async function put(url: string, body: unknown): Promise<void> {
  const res = await fetch(`${url}/v2/apps${APP_ID}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`PUT ${APP_ID} -> ${res.status}: ${await res.text()}`);
}

/** Seconds from now until `done` holds, polling Marathon's API every 50 ms (progress every second). */
async function timeUntil(url: string, what: string, done: (c: AppCounts) => boolean, start: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await start();
  let lastReport = started;
  await waitFor(
    async () => {
      const c = await counts(url);
      const now = performance.now();
      if (now - lastReport >= 1000 && c) {
        lastReport = now;
        progress(`  ${what}: ${((now - started) / 1000).toFixed(1)} s, running ${c.tasksRunning}, staged ${c.tasksStaged}`);
      }
      return c !== undefined && done(c);
    },
    what,
    300_000,
    50,
  );
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const nats = await startNatsServer();
  const masterArgs = allocationIntervalMs ? ['--allocation-interval-ms', allocationIntervalMs] : [];
  const master = await startMaster({ natsUrl: nats.url, args: masterArgs, env: { PANDO_LOG_LEVEL: 'warn' } });
  const ncs: NatsConnection[] = await Promise.all(Array.from({ length: connections }, () => connect({ servers: nats.url })));
  const fleet = new SimulatedAgentFleet(ncs, {
    count: agents,
    resources: Resources.parse('cpus:32;mem:131072;disk:200000;ports:[31000-32999]').toJson(),
    executors: ['sim'],
  });
  const runner = new SimulatedTaskRunner(ncs[0]!, new SimExecutor());
  let host: RunningFrameworkHost | undefined;
  try {
    runner.start();
    await fleet.registerAll();
    fleet.startHeartbeats();
    progress(`${agents} simulated agents registered`);
    host = await startFrameworkHost({
      natsUrl: nats.url,
      plugins: ['marathon'],
      pluginIds: ['marathon'],
      pluginOptions: { marathon: { 'command-executor': 'sim' } },
      // The harness's 3 s lease suits failover tests; under a 10,000-task burst on a small
      // machine, renewals can queue behind the flood of messages and a healthy worker would
      // be replaced mid-measurement.
      leaseTtlMs: 15_000,
      // HOST_NODE_OPTIONS=--cpu-prof profiles the host and its plugin worker.
      env: { PANDO_LOG_LEVEL: 'info', ...(process.env.HOST_NODE_OPTIONS ? { NODE_OPTIONS: process.env.HOST_NODE_OPTIONS } : {}) },
    });
    await host.waitLeading('marathon', 30_000);
    const url = host.urls.marathon!;
    const app = { id: APP_ID, cmd: 'sleep infinity', cpus: 0.01, mem: 8, instances: 0 };
    const created = await fetch(`${url}/v2/apps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(app) });
    if (created.status !== 201) throw new Error(`POST /v2/apps -> ${created.status}: ${await created.text()}`);
    await waitFor(async () => (await counts(url))?.deployments.length === 0, 'the empty app to be deployed');

    progress(`scaling ${APP_ID} to ${instances}`);
    const scaleUpSeconds = await timeUntil(url, 'scale-up', (c) => c.tasksRunning === instances, () => put(url, { instances }));
    progress(`${instances} RUNNING after ${scaleUpSeconds.toFixed(2)} s (framework host worker RSS ${workerRss(host)} MB)`);
    progress(`scaling ${APP_ID} to 0`);
    const scaleDownSeconds = await timeUntil(url, 'scale-down', (c) => c.tasksRunning === 0 && c.tasksStaged === 0 && c.deployments.length === 0, () => put(url, { instances: 0 }));
    progress(`0 left after ${scaleDownSeconds.toFixed(2)} s; sim tasks launched ${runner.launched}, updates unacknowledged ${runner.unacknowledged()}`);
    console.log(JSON.stringify({ bench: 'marathon', agents, instances, scaleUpSeconds: round(scaleUpSeconds), scaleDownSeconds: round(scaleDownSeconds) }));
  } finally {
    runner.stop();
    fleet.stop();
    await host?.stop().catch(() => undefined);
    await Promise.all(ncs.map((nc) => nc.close()));
    await master.stop();
    await nats.stop();
  }
}

/** The plugin runs in a worker process of the host; its RSS is reported when it can be read. */
function workerRss(host: RunningFrameworkHost): string {
  const line = host.process.lines.find((l) => l.includes('workerPid'));
  const pid = line ? (JSON.parse(line) as { workerPid?: number }).workerPid : undefined;
  try {
    return pid ? String(rssMb(pid)) : '?';
  } catch {
    return '?';
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:marathon failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
