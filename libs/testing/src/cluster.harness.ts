import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAllManagedProcesses, ManagedProcess } from './managed-process';
import { startNatsServer, type RunningNats } from './nats-server.harness';
import { freePort } from './ports';
import { killProcessesUnder } from './reap';
import { appEntry } from './repo';
import { fetchJson, waitFor } from './wait';

export interface MasterOptions {
  /** One NATS URL, or a cluster's URLs comma separated. */
  natsUrl: string;
  httpPort?: number;
  args?: string[];
  env?: Record<string, string>;
  /** Name in logs (default `master:<port>`); also its --master-id when given. */
  masterId?: string;
  /** Flags for node itself (e.g. --cpu-prof), before the entry point. */
  nodeArgs?: string[];
}

/** A master's /health: every master answers it itself, standby or leader. */
export interface MasterHealth {
  status: 'ok';
  masterId: string;
  epoch: number;
  leader: boolean;
  leaderId?: string;
  leaderUrl?: string;
  recovery?: 'idle' | 'recovering' | 'done';
  agents?: { active: number; unreachable: number; recovered: number };
}

export interface RunningMaster {
  url: string;
  httpPort: number;
  process: ManagedProcess;
  state(): Promise<any>;
  health(): Promise<MasterHealth>;
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

/**
 * Starts a real master process (dist/apps/master) and waits until it answers /health and knows
 * a leader (a lone master: until it leads; a standby: until it sees the lease holder).
 */
export async function startMaster(options: MasterOptions): Promise<RunningMaster> {
  const httpPort = options.httpPort ?? (await freePort());
  const url = `http://127.0.0.1:${httpPort}`;
  const args = [...(options.nodeArgs ?? []), appEntry('master'), '--nats-servers', options.natsUrl, '--http', `127.0.0.1:${httpPort}`];
  if (options.masterId) args.push('--master-id', options.masterId);
  const proc = new ManagedProcess({
    name: options.masterId ?? `master:${httpPort}`,
    command: process.execPath,
    args: [...args, ...(options.args ?? [])],
    env: { PANDO_LOG_LEVEL: 'debug', ...options.env },
  });
  const health = (): Promise<MasterHealth> => fetchJson<MasterHealth>(`${url}/health`);
  await waitFor(() => health().then((h) => h.leaderId !== undefined), `master on ${url} to know a leader`, 20_000);
  return {
    url,
    httpPort,
    process: proc,
    state: () => fetchJson(`${url}/master/state`),
    health,
    stop: () => proc.stop(),
    kill9: async () => {
      proc.kill('SIGKILL');
      await proc.waitForExit();
    },
  };
}

/**
 * Starts `count` masters sharing one registry (the first one started leads; the others stand
 * by), with ids master-1, master-2, ... unless `args` set --master-id.
 */
export async function startMasters(count: number, options: MasterOptions): Promise<RunningMaster[]> {
  const masters: RunningMaster[] = [];
  for (let i = 0; i < count; i++) masters.push(await startMaster({ ...options, masterId: options.masterId ?? `master-${i + 1}` }));
  return masters;
}

/** Waits until exactly one of the running masters says it leads (and has recovered), and returns it. */
export async function waitForLeader(masters: readonly RunningMaster[], timeoutMs = 20_000, recovered = true): Promise<RunningMaster> {
  return waitFor(
    async () => {
      const alive = masters.filter((m) => m.process.running);
      const healths = await Promise.all(alive.map((m) => m.health().catch(() => undefined)));
      const leaders = alive.filter((_, i) => healths[i]?.leader && (!recovered || healths[i]?.recovery === 'done'));
      return leaders.length === 1 ? leaders[0] : undefined;
    },
    'one leading master',
    timeoutMs,
    50,
  );
}

export interface AgentOptions {
  natsUrl: string;
  workDir?: string;
  httpPort?: number;
  resources?: string;
  attributes?: string;
  hostname?: string;
  args?: string[];
  env?: Record<string, string>;
}

export interface RunningAgent {
  url: string;
  workDir: string;
  agentId: string;
  process: ManagedProcess;
  options: AgentOptions;
  state(): Promise<any>;
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

/** Work dirs of agents started by this process, reaped by cleanUpTestProcesses(). */
const agentWorkDirs = new Set<string>();

/**
 * The safety net run after every end-to-end test file: kills the processes the harness started
 * and the tasks left in agent sandboxes, even when a suite failed before it could stop them.
 */
export async function cleanUpTestProcesses(): Promise<void> {
  await killAllManagedProcesses();
  for (const dir of agentWorkDirs) {
    killProcessesUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  }
  agentWorkDirs.clear();
}

/** Starts a real agent process (dist/apps/agent) and waits until it has registered. */
export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const httpPort = options.httpPort ?? (await freePort());
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'pando-agent-'));
  agentWorkDirs.add(workDir);
  const url = `http://127.0.0.1:${httpPort}`;
  const args = [appEntry('agent'), '--nats-servers', options.natsUrl, '--http', `127.0.0.1:${httpPort}`, '--work-dir', workDir];
  args.push('--resources', options.resources ?? 'cpus:4;mem:4096;disk:10000;ports:[31000-31100]');
  if (options.attributes) args.push('--attributes', options.attributes);
  if (options.hostname) args.push('--hostname', options.hostname);
  args.push(...(options.args ?? []));
  const proc = new ManagedProcess({
    name: `agent:${httpPort}`,
    command: process.execPath,
    args,
    env: { PANDO_LOG_LEVEL: 'debug', ...options.env },
  });
  const health = await waitFor(
    () => fetchJson<{ registered: boolean; agentId?: string }>(`${url}/health`).then((h) => (h.registered ? h : undefined)),
    `agent on ${url} to register`,
    20_000,
  );
  return {
    url,
    workDir,
    agentId: health.agentId as string,
    process: proc,
    options: { ...options, workDir, httpPort },
    state: () => fetchJson(`${url}/state`),
    stop: () => proc.stop(),
    kill9: async () => {
      proc.kill('SIGKILL');
      await proc.waitForExit();
    },
  };
}

/**
 * A whole small cluster of real processes: nats-server, one master, N agents. stop() ends
 * everything and removes the temporary dirs.
 */
export class TestCluster {
  agents: RunningAgent[] = [];

  private constructor(
    readonly nats: RunningNats,
    public master: RunningMaster,
  ) {}

  static async start(options: { agents?: number; masterArgs?: string[]; agentOptions?: Partial<AgentOptions>[] } = {}): Promise<TestCluster> {
    const nats = await startNatsServer();
    const master = await startMaster({ natsUrl: nats.url, args: options.masterArgs });
    const cluster = new TestCluster(nats, master);
    try {
      const count = options.agents ?? 1;
      for (let i = 0; i < count; i++) {
        cluster.agents.push(await startAgent({ natsUrl: nats.url, ...options.agentOptions?.[i] }));
      }
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  async addAgent(options: Partial<AgentOptions> = {}): Promise<RunningAgent> {
    const agent = await startAgent({ natsUrl: this.nats.url, ...options });
    this.agents.push(agent);
    return agent;
  }

  async restartMaster(args?: string[]): Promise<RunningMaster> {
    const port = this.master.httpPort;
    await this.master.stop();
    this.master = await startMaster({ natsUrl: this.nats.url, httpPort: port, args });
    return this.master;
  }

  async stop(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.stop().catch(() => undefined)));
    await this.master.stop().catch(() => undefined);
    await this.nats.stop().catch(() => undefined);
    for (const a of this.agents) {
      killProcessesUnder(a.workDir);
      rmSync(a.workDir, { recursive: true, force: true });
    }
  }
}
