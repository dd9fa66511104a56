import { ManagedProcess } from './managed-process';
import { freePort } from './ports';
import { appEntry, repoRoot } from './repo';
import { fetchJson, waitFor } from './wait';

export interface FrameworkHostHarnessOptions {
  natsUrl: string;
  /** --plugins entries: bundled ids, paths (relative to `cwd`, default the repo root) or packages. */
  plugins: string[];
  /**
   * Plugin ids, in the order of `plugins`, to give ports to (a free port each unless `ports`
   * names one). Needed to wait for the plugins and to reach them; default: none (then only the
   * process is started and nothing is waited for).
   */
  pluginIds?: string[];
  ports?: Record<string, number>;
  /** --host-id (default: the harness names it). */
  hostId?: string;
  leaseTtlMs?: number;
  restartBackoffMs?: number;
  pluginOptions?: Record<string, Record<string, string>>;
  cwd?: string;
  args?: string[];
  env?: Record<string, string>;
  /** Wait until every plugin port answers its status (default true when pluginIds are given). */
  waitReady?: boolean;
}

/** One worker's answer at `/_pando/health` on its plugin's port. */
export interface PluginHostStatus {
  plugin: string;
  hostId: string;
  pid: number;
  url: string;
  role: 'standby' | 'leader' | 'stopped' | 'starting';
  ready?: boolean;
  epoch?: number;
  leader: { holder: string; url: string; pid: number } | null;
  frameworkId?: string;
  driver?: string;
}

export interface RunningFrameworkHost {
  hostId: string;
  process: ManagedProcess;
  /** Plugin id -> http://127.0.0.1:<port>. */
  urls: Record<string, string>;
  ports: Record<string, number>;
  status(pluginId: string): Promise<PluginHostStatus>;
  /** Waits until this host leads the plugin and its app is ready. */
  waitLeading(pluginId: string, timeoutMs?: number): Promise<PluginHostStatus>;
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

let hosts = 0;

/**
 * Starts a real framework host (dist/apps/framework-host) with its plugin workers. Ports default
 * to free ones, the lease TTL to 3 s and the restart backoff to 200 ms, to keep suites fast.
 * Killing the host (kill9) also ends its workers: they watch their IPC channel to the host.
 */
export async function startFrameworkHost(options: FrameworkHostHarnessOptions): Promise<RunningFrameworkHost> {
  const hostId = options.hostId ?? `test-host-${process.pid}-${++hosts}`;
  const ports: Record<string, number> = {};
  for (const id of options.pluginIds ?? []) ports[id] = options.ports?.[id] ?? (await freePort());
  const args = [appEntry('framework-host'), '--nats-servers', options.natsUrl, '--plugins', options.plugins.join(','), '--host-id', hostId];
  args.push('--http-host', '127.0.0.1', '--advertise-host', '127.0.0.1');
  args.push('--lease-ttl-ms', String(options.leaseTtlMs ?? 3000), '--restart-backoff-ms', String(options.restartBackoffMs ?? 200));
  if (Object.keys(ports).length > 0) args.push('--plugin-ports', Object.entries(ports).map(([id, port]) => `${id}=${port}`).join(','));
  const opts = Object.entries(options.pluginOptions ?? {}).flatMap(([id, values]) => Object.entries(values).map(([k, v]) => `${id}.${k}=${v}`));
  if (opts.length > 0) args.push('--plugin-opts', opts.join(','));
  args.push(...(options.args ?? []));
  const proc = new ManagedProcess({
    name: `framework-host:${hostId}`,
    command: process.execPath,
    args,
    cwd: options.cwd ?? repoRoot(),
    env: { PANDO_LOG_LEVEL: 'debug', ...options.env },
  });
  const urls = Object.fromEntries(Object.entries(ports).map(([id, port]) => [id, `http://127.0.0.1:${port}`]));
  const status = (pluginId: string): Promise<PluginHostStatus> => fetchJson<PluginHostStatus>(`${urls[pluginId]}/_pando/health`);
  const host: RunningFrameworkHost = {
    hostId,
    process: proc,
    urls,
    ports,
    status,
    waitLeading: (pluginId, timeoutMs = 20_000) =>
      waitFor(() => status(pluginId).then((s) => (s.role === 'leader' && s.ready && s.hostId === hostId ? s : undefined)), `${hostId} to lead '${pluginId}'`, timeoutMs),
    stop: () => proc.stop(15_000),
    kill9: async () => {
      proc.kill('SIGKILL');
      await proc.waitForExit();
    },
  };
  if (options.waitReady ?? true) {
    for (const id of Object.keys(ports)) {
      await waitFor(
        () => {
          if (!proc.running) throw new Error(`the framework host exited with code ${proc.exitCode}:\n${proc.output().slice(-3000)}`);
          return status(id).then((s) => s.role !== 'starting');
        },
        `framework host ${hostId}: plugin '${id}' on ${urls[id]}`,
        20_000,
      );
    }
  }
  return host;
}
