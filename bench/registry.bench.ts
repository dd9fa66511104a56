/**
 * bench:registry — a real master process and N simulated agents over a real nats-server:
 * how fast they all register, what heartbeat rate the master sustains for them, and the
 * master's memory while it holds them. Last stdout line: one JSON object.
 *
 * Env: AGENTS (10000), HOLD_SECONDS (15), CONNECTIONS (8), CONCURRENCY (512).
 */
import { connect } from '@nats-io/transport-node';
import { Resources } from '@pando/resources';
import { fetchJson, rssMb, SimulatedAgentFleet, startMaster, startNatsServer, waitFor } from '@pando/testing';

const agents = Number(process.env.AGENTS ?? 10_000);
const holdSeconds = Number(process.env.HOLD_SECONDS ?? 15);
const connections = Number(process.env.CONNECTIONS ?? 8);
const concurrency = Number(process.env.CONCURRENCY ?? 512);

function progress(message: string): void {
  process.stderr.write(`[bench:registry] ${message}\n`);
}

async function main(): Promise<void> {
  const nats = await startNatsServer();
  const master = await startMaster({ natsUrl: nats.url, env: { PANDO_LOG_LEVEL: 'warn' } });
  const ncs = await Promise.all(Array.from({ length: connections }, () => connect({ servers: nats.url })));
  const fleet = new SimulatedAgentFleet(ncs, {
    count: agents,
    resources: Resources.parse('cpus:16;mem:65536;disk:200000;ports:[31000-32000]').toJson(),
    attributes: (i) => ({ rack: `r${i % 40}` }),
  });
  try {
    progress(`registering ${agents} simulated agents (${concurrency} in flight over ${connections} connections)`);
    const registerSeconds = await fleet.registerAll(concurrency);
    progress(`registered in ${registerSeconds.toFixed(2)} s`);

    fleet.startHeartbeats();
    const before = fleet.heartbeatsAnswered;
    const holdStart = Date.now();
    await new Promise((r) => setTimeout(r, holdSeconds * 1000));
    const heartbeatsPerSec = (fleet.heartbeatsAnswered - before) / ((Date.now() - holdStart) / 1000);
    const state = await waitFor(
      () => fetchJson<{ activated_slaves: number }>(`${master.url}/master/state`).then((s) => (s.activated_slaves === agents ? s : undefined)),
      `all ${agents} agents active in /master/state`,
      10_000,
    );
    const masterRssMb = rssMb(master.process.pid as number);
    progress(`held ${state.activated_slaves} active agents for ${holdSeconds} s; heartbeat failures: ${fleet.heartbeatsFailed}`);
    console.log(
      JSON.stringify({
        bench: 'registry',
        agents,
        registerSeconds: round(registerSeconds),
        heartbeatsPerSec: round(heartbeatsPerSec),
        masterRssMb,
      }),
    );
  } finally {
    fleet.stop();
    await Promise.all(ncs.map((nc) => nc.close()));
    await master.stop();
    await nats.stop();
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:registry failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
