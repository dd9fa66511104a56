import { startFrameworkHost, TestCluster, waitFor, type AgentOptions, type RunningFrameworkHost } from '@pando/testing';

/** Master flags that keep the suites fast (allocation every 50 ms, quick heartbeats). */
export const FAST_MASTER_ARGS = ['--allocation-interval-ms', '50', '--framework-heartbeat-interval-ms', '500', '--heartbeat-interval-ms', '500'];

export interface HttpResult {
  status: number;
  headers: Headers;
  json: any;
  text: string;
}

/** Plain HTTP with fetch, as a Chronos client does it. */
export async function http(base: string, method: string, path: string, body?: unknown): Promise<HttpResult> {
  const init: RequestInit = { method, headers: body !== undefined ? { 'content-type': 'application/json' } : {} };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** An ISO 8601 instant `offsetMs` from now, on a whole second (the start of a test schedule). */
export function isoIn(offsetMs: number): string {
  return new Date(Math.ceil((Date.now() + offsetMs) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export interface ChronosClusterOptions {
  agents?: Array<Partial<AgentOptions>>;
  pluginOptions?: Record<string, string>;
  leaseTtlMs?: number;
}

/**
 * A real cluster for the Chronos suites: nats-server, a master, agents, and a framework host
 * running the chronos plugin. `url` is the plugin's Chronos API.
 */
export class ChronosCluster {
  private constructor(
    readonly cluster: TestCluster,
    public host: RunningFrameworkHost,
    private readonly options: ChronosClusterOptions,
  ) {}

  static async start(options: ChronosClusterOptions = {}): Promise<ChronosCluster> {
    const agents = options.agents ?? [{ hostname: 'agent-a', attributes: 'rack:r1' }, { hostname: 'agent-b', attributes: 'rack:r2' }];
    const cluster = await TestCluster.start({ agents: agents.length, agentOptions: agents, masterArgs: FAST_MASTER_ARGS });
    try {
      const host = await ChronosCluster.startHost(cluster, options);
      return new ChronosCluster(cluster, host, options);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  private static async startHost(cluster: TestCluster, options: ChronosClusterOptions, port?: number): Promise<RunningFrameworkHost> {
    const host = await startFrameworkHost({
      natsUrl: cluster.nats.url,
      plugins: ['chronos'],
      pluginIds: ['chronos'],
      leaseTtlMs: options.leaseTtlMs,
      ...(port !== undefined ? { ports: { chronos: port } } : {}),
      pluginOptions: { chronos: { retryBaseMs: '500', ...options.pluginOptions } },
    });
    await host.waitLeading('chronos', 30_000);
    return host;
  }

  get url(): string {
    return this.host.urls.chronos!;
  }

  request(method: string, path: string, body?: unknown): Promise<HttpResult> {
    return http(this.url, method, path, body);
  }

  /** Posts a scheduled job (`/iso8601`) or, with parents, a dependent one; expects 204. */
  async post(job: Record<string, unknown>): Promise<void> {
    const res = await this.request('POST', job.parents ? '/v1/scheduler/dependency' : '/v1/scheduler/iso8601', job);
    if (res.status !== 204) throw new Error(`posting job '${String(job.name)}' -> ${res.status}: ${res.text}`);
  }

  async job(name: string): Promise<any> {
    const res = await this.request('GET', `/v1/scheduler/job/${encodeURIComponent(name)}`);
    return res.status === 200 ? res.json : undefined;
  }

  /** The job's run history, newest first. */
  async runs(name: string): Promise<any[]> {
    const res = await this.request('GET', `/v1/scheduler/job/${encodeURIComponent(name)}/runs`);
    if (res.status !== 200) throw new Error(`runs of '${name}' -> ${res.status}: ${res.text}`);
    return res.json.runs as any[];
  }

  /** Waits until the job's statistics satisfy `done`. */
  waitForJob(name: string, done: (job: any) => boolean, what: string, timeoutMs = 30_000): Promise<any> {
    return waitFor(async () => {
      const job = await this.job(name);
      return job && done(job) ? job : undefined;
    }, `${name}: ${what}`, timeoutMs, 200);
  }

  /** Every task the master knows (live and completed), from /master/state. */
  async masterTasks(): Promise<any[]> {
    const state = await this.cluster.master.state();
    const frameworks = [...(state.frameworks ?? []), ...(state.completed_frameworks ?? [])];
    return frameworks.flatMap((f: any) => [...(f.tasks ?? []), ...(f.completed_tasks ?? [])]);
  }

  /** Stops the framework host (gracefully, or with SIGKILL) and starts a new one on the same port. */
  async restartHost(kill = false): Promise<void> {
    const port = this.host.ports.chronos;
    if (kill) await this.host.kill9();
    else await this.host.stop();
    this.host = await ChronosCluster.startHost(this.cluster, this.options, port);
  }

  async stop(): Promise<void> {
    await this.host.stop().catch(() => undefined);
    await this.cluster.stop();
  }
}
