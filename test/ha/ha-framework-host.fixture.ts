import { readFileSync } from 'node:fs';
import { startFrameworkHost, waitFor, type RunningAgent, type RunningFrameworkHost } from '@pando/testing';
import { processesWith } from '../agent/agent-e2e.helpers';
import type { HaCluster } from './ha-cluster.fixture';

/**
 * Lease of the plugins on the HA framework hosts: short, so that a standby takes over a killed
 * host's plugins quickly, with a margin for a loaded machine (renewed every second).
 */
export const HOST_LEASE_TTL_MS = 3000;

export type BundledPlugin = 'marathon' | 'chronos';

/** Options of the bundled plugins that keep the suites quick. */
const PLUGIN_OPTIONS: Record<BundledPlugin, Record<string, string>> = {
  // A long deadline: a deployment must not be rolled back because its host was down a while.
  marathon: { 'deployment-deadline-seconds': '120', 'decline-refuse-seconds': '120' },
  chronos: { retryBaseMs: '500' },
};

/**
 * A real framework host on an HA cluster: every NATS URL of the 3-node cluster, its buckets (plugin
 * state, leases) created with 3 replicas, a short plugin lease. Resolves once the host's plugins
 * answer (leading or standing by).
 */
export function startHaFrameworkHost(cluster: HaCluster, hostId: string, plugins: BundledPlugin[]): Promise<RunningFrameworkHost> {
  return startFrameworkHost({
    natsUrl: cluster.natsUrl,
    hostId,
    plugins,
    pluginIds: plugins,
    leaseTtlMs: HOST_LEASE_TTL_MS,
    args: ['--kv-replicas', '3'],
    pluginOptions: Object.fromEntries(plugins.map((id) => [id, PLUGIN_OPTIONS[id]])),
  });
}

export interface HttpResult {
  status: number;
  json: any;
  text: string;
}

/** Plain HTTP with fetch, as Marathon and Chronos clients do it. */
export async function http(base: string, method: string, path: string, body?: unknown): Promise<HttpResult> {
  const init: RequestInit = { method, headers: body !== undefined ? { 'content-type': 'application/json', accept: 'application/json' } : { accept: 'application/json' } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

/** Marathon's task id spelling (`app.uuid`) as Pando's (`app:uuid`). */
export const pandoTaskId = (marathonTaskId: string): string => marathonTaskId.replace(/\./g, ':');

/** One task process on this machine: the task and agent ids from its environment. */
export interface TaskProcess {
  pid: number;
  taskId: string;
  agentId: string;
}

/**
 * The task processes whose command line contains `marker` (a marker in an app's or job's command,
 * shared by all its tasks), with the PANDO_TASK_ID / PANDO_AGENT_ID the agent put in their
 * environment: a task running twice shows as two processes with one task id.
 */
export function taskProcesses(marker: string): TaskProcess[] {
  const found: TaskProcess[] = [];
  for (const pid of processesWith(marker)) {
    try {
      const env = new Map(
        readFileSync(`/proc/${pid}/environ`, 'utf8')
          .split('\0')
          .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const),
      );
      const taskId = env.get('PANDO_TASK_ID');
      if (taskId) found.push({ pid, taskId, agentId: env.get('PANDO_AGENT_ID') ?? '' });
    } catch {
      // ended meanwhile
    }
  }
  return found;
}

/** Every task the master knows (live and completed) of the framework named `name`, from /master/state. */
export function frameworkTasks(state: any, name: string): any[] {
  const frameworks = [...(state.frameworks ?? []), ...(state.completed_frameworks ?? [])].filter((f: any) => f.name === name);
  return frameworks.flatMap((f: any) => [...(f.tasks ?? []), ...(f.completed_tasks ?? [])]);
}

/** A task's label value in /master/state's shape (`[{key, value}]`). */
export const labelOf = (task: any, key: string): string | undefined => (task.labels ?? []).find((l: any) => l.key === key)?.value;

/** Waits until no update is left unacknowledged on any of the agents. */
export async function waitForAcknowledged(agents: RunningAgent[], timeoutMs = 30_000): Promise<void> {
  await waitFor(
    async () => {
      const pending = await Promise.all(agents.map(async (a) => (await a.state()).pending_status_updates as number));
      return pending.every((n) => n === 0);
    },
    'every status update acknowledged (pending_status_updates 0 on every live agent)',
    timeoutMs,
    250,
  );
}
