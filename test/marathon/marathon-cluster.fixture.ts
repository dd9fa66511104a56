import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFrameworkHost, TestCluster, waitFor, type AgentOptions, type RunningFrameworkHost } from '@pando/testing';

/** Master flags that keep the suites fast (allocation every 50 ms, quick heartbeats). */
export const FAST_MASTER_ARGS = ['--allocation-interval-ms', '50', '--framework-heartbeat-interval-ms', '500', '--heartbeat-interval-ms', '500'];

/** A real Marathon app JSON from fixtures/. */
export function fixture(name: string): Record<string, any> {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as Record<string, any>;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  json: any;
  text: string;
}

/** Plain HTTP, as a Marathon client does it. */
export async function http(base: string, method: string, path: string, body?: unknown): Promise<HttpResult> {
  const init: RequestInit = { method, headers: body !== undefined ? { 'content-type': 'application/json', accept: 'application/json' } : { accept: 'application/json' } };
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

export interface MarathonClusterOptions {
  agents?: Array<Partial<AgentOptions>>;
  pluginOptions?: Record<string, string>;
}

/**
 * A real cluster for the Marathon suites: nats-server, a master, agents, and a framework host
 * running the marathon plugin. `url` is the plugin's Marathon API.
 */
export class MarathonCluster {
  private constructor(
    readonly cluster: TestCluster,
    public host: RunningFrameworkHost,
    private readonly options: MarathonClusterOptions,
  ) {}

  static async start(options: MarathonClusterOptions = {}): Promise<MarathonCluster> {
    const agents = options.agents ?? [{ hostname: 'agent-a' }, { hostname: 'agent-b' }];
    const cluster = await TestCluster.start({ agents: agents.length, agentOptions: agents, masterArgs: FAST_MASTER_ARGS });
    try {
      const host = await MarathonCluster.startHost(cluster, options);
      return new MarathonCluster(cluster, host, options);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  private static async startHost(cluster: TestCluster, options: MarathonClusterOptions, port?: number): Promise<RunningFrameworkHost> {
    const host = await startFrameworkHost({
      natsUrl: cluster.nats.url,
      plugins: ['marathon'],
      pluginIds: ['marathon'],
      ...(port !== undefined ? { ports: { marathon: port } } : {}),
      pluginOptions: { marathon: { 'deployment-deadline-seconds': '8', 'decline-refuse-seconds': '120', ...options.pluginOptions } },
    });
    await host.waitLeading('marathon', 30_000);
    return host;
  }

  get url(): string {
    return this.host.urls.marathon!;
  }

  request(method: string, path: string, body?: unknown): Promise<HttpResult> {
    return http(this.url, method, path, body);
  }

  /** GET /v2/apps/{id} (404 -> undefined). */
  async app(id: string): Promise<any> {
    const res = await this.request('GET', `/v2/apps${id}`);
    return res.status === 200 ? res.json.app : undefined;
  }

  /** Waits until the app has `running` RUNNING tasks (healthy ones when it has checks) and no deployment. */
  waitForApp(id: string, running: number, what = `${id} to run ${running} tasks`, timeoutMs = 30_000): Promise<any> {
    return waitFor(
      async () => {
        const app = await this.app(id);
        if (!app || app.tasksRunning !== running || app.tasks.length !== running || app.deployments.length > 0) return undefined;
        if (app.healthChecks?.length > 0 && app.tasksHealthy !== running) return undefined;
        return app;
      },
      what,
      timeoutMs,
      200,
    );
  }

  async waitForNoDeployments(timeoutMs = 30_000): Promise<void> {
    await waitFor(async () => ((await this.request('GET', '/v2/deployments')).json as unknown[]).length === 0, 'no deployment in progress', timeoutMs, 200);
  }

  /** Stops the framework host (the framework fails over: tasks keep running) and starts a new one. */
  async restartHost(kill = false): Promise<void> {
    const port = this.host.ports.marathon;
    if (kill) await this.host.kill9();
    else await this.host.stop();
    this.host = await MarathonCluster.startHost(this.cluster, this.options, port);
  }

  async stop(): Promise<void> {
    await this.host.stop().catch(() => undefined);
    await this.cluster.stop();
  }
}
