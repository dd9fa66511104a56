/**
 * bench:docker — 50 busybox `sleep` containers on one agent through the full path (an SDK
 * framework -> master -> agent -> dockerode), against two references measured in the same run:
 * the floor (the same 50 create+start calls straight through dockerode, all at once, as the agent
 * issues them) and, when the engine can run swarm mode, `docker service create --replicas 50`.
 * Last stdout line: one JSON object. Env: CONTAINERS (50).
 *
 * Needs a running engine and the local image: scripts/docker-engine.sh, scripts/build-test-images.sh.
 */
import { execFileSync, execSync } from 'node:child_process';
import { connect } from '@nats-io/transport-node';
import Docker from 'dockerode';
import type { Offer, TaskStatus } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { SchedulerDriver, taskSpec, type Scheduler } from '@pando/sdk';
import { cleanUpTestProcesses, startAgent, startMaster, startNatsServer, waitFor } from '@pando/testing';

const CONTAINERS = Number(process.env.CONTAINERS ?? 50);
const IMAGE = 'pando/busybox:latest';
const BENCH_LABEL = 'pando.bench';
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

function progress(message: string): void {
  process.stderr.write(`[bench:docker] ${message}\n`);
}

async function main(): Promise<void> {
  execSync('bash scripts/docker-engine.sh && bash scripts/build-test-images.sh', { stdio: 'inherit' });
  await removeBenchContainers();
  const pandoSeconds = await throughPando();
  await removeBenchContainers();
  const rawSeconds = await throughDockerode();
  await removeBenchContainers();
  const swarmSeconds = await throughSwarm();
  const result = {
    bench: 'docker',
    containers: CONTAINERS,
    pandoSeconds: round(pandoSeconds),
    rawSeconds: round(rawSeconds),
    swarmSeconds: swarmSeconds === null ? null : round(swarmSeconds),
    ratioToRaw: round(pandoSeconds / rawSeconds),
  };
  console.log(JSON.stringify(result));
}

/** ACCEPT of one offer with all the tasks -> the framework has seen every one RUNNING. */
async function throughPando(): Promise<number> {
  const nats = await startNatsServer();
  const master = await startMaster({ natsUrl: nats.url, args: ['--allocation-interval-ms', '50'], env: { PANDO_LOG_LEVEL: 'warn' } });
  const agent = await startAgent({
    natsUrl: nats.url,
    resources: 'cpus:64;mem:65536;disk:100000;ports:[31000-31100]',
    args: ['--executors', 'command,docker'],
    env: { PANDO_LOG_LEVEL: 'warn' },
  });
  const nc = await connect({ servers: nats.url });
  const running = new Set<string>();
  let offer: Offer | undefined;
  const scheduler: Scheduler = {
    offers: (_d, offers) => {
      offer ??= offers.find((o) => o.agentId === agent.agentId);
    },
    update: (_d, status: TaskStatus) => {
      if (status.state === 'RUNNING') running.add(status.taskId);
      if (['FAILED', 'ERROR', 'LOST', 'DROPPED'].includes(status.state)) progress(`task ${status.taskId} ${status.state}: ${status.message ?? ''}`);
    },
  };
  const driver = new SchedulerDriver({ nc, frameworkInfo: { name: 'bench-docker', roles: ['*'] }, scheduler });
  try {
    await driver.start();
    const theOffer = await waitFor(() => offer, 'an offer of the agent', 30_000, 10);
    const tasks = Array.from({ length: CONTAINERS }, (_, i) =>
      taskSpec({
        name: `bench-${i}`,
        agentId: theOffer.agentId,
        resources: Resources.parse('cpus:0.1;mem:32'),
        executor: 'docker',
        command: 'sleep 600',
        container: { type: 'DOCKER', docker: { image: IMAGE, pullPolicy: 'never', labels: { [BENCH_LABEL]: 'pando' } } },
      }),
    );
    progress(`launching ${CONTAINERS} containers through the framework -> master -> agent path`);
    const started = process.hrtime.bigint();
    await driver.launch(theOffer, tasks, { refuseSeconds: 3600 });
    await waitFor(() => running.size >= CONTAINERS, `${CONTAINERS} tasks RUNNING`, 120_000, 5);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    progress(`pando: ${seconds.toFixed(2)} s`);
    await driver.stop({ failover: false });
    return seconds;
  } finally {
    await nc.close().catch(() => undefined);
    await agent.stop();
    await master.stop();
    await nats.stop();
    await cleanUpTestProcesses();
  }
}

/** The floor: the same create+start calls through dockerode, all in flight at once. */
async function throughDockerode(): Promise<number> {
  progress(`creating and starting ${CONTAINERS} containers straight through dockerode`);
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONTAINERS }, async (_, i) => {
      const container = await docker.createContainer({
        name: `pando-bench-raw-${i}`,
        Image: IMAGE,
        Cmd: ['sh', '-c', 'sleep 600'],
        Labels: { [BENCH_LABEL]: 'raw' },
        HostConfig: { NanoCpus: 100_000_000, Memory: 32 * 1024 * 1024, MemorySwap: 32 * 1024 * 1024 },
      });
      await container.start();
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  progress(`raw dockerode: ${seconds.toFixed(2)} s`);
  return seconds;
}

/** `docker service create --replicas N` until N replicas run, when swarm mode is available. */
async function throughSwarm(): Promise<number | null> {
  let initialised = false;
  try {
    const state = execSync("docker info --format '{{.Swarm.LocalNodeState}}'").toString().trim();
    if (state !== 'active') {
      execSync('docker swarm init --advertise-addr 127.0.0.1', { stdio: 'ignore' });
      initialised = true;
    }
  } catch (err) {
    progress(`swarm mode is not available: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
  const name = 'pando-bench-swarm';
  try {
    progress(`docker service create --replicas ${CONTAINERS}`);
    const started = process.hrtime.bigint();
    execFileSync('docker', ['service', 'create', '--detach', '--no-resolve-image', '--name', name, '--replicas', String(CONTAINERS), '--limit-cpu', '0.1', '--limit-memory', '32m', IMAGE, 'sleep', '600'], { stdio: 'ignore' });
    await waitFor(
      () => {
        const out = execFileSync('docker', ['service', 'ps', name, '--filter', 'desired-state=running', '--format', '{{.CurrentState}}']).toString();
        return out.split('\n').filter((l) => l.startsWith('Running')).length >= CONTAINERS;
      },
      `${CONTAINERS} swarm replicas running`,
      180_000,
      100,
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    progress(`swarm: ${seconds.toFixed(2)} s`);
    return seconds;
  } finally {
    execFileSync('docker', ['service', 'rm', name], { stdio: 'ignore' });
    if (initialised) execSync('docker swarm leave --force', { stdio: 'ignore' });
  }
}

async function removeBenchContainers(): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: [BENCH_LABEL] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

main().catch(async (err: unknown) => {
  process.stderr.write(`bench:docker failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  await removeBenchContainers().catch(() => undefined);
  process.exit(1);
});
