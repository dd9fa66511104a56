import { KvLease, type Clock, type LeaseKv, type Logger } from '@pando/common';
import type { PluginStore } from '@pando/sdk';

/** The lease bucket shared by every framework host (and, later, other leader-elected processes). */
export const LEASES_BUCKET = 'pando-leases';

/** The key of a plugin's leader lease in LEASES_BUCKET. */
export function pluginLeaseKey(pluginId: string): string {
  return `plugin.${pluginId}`;
}

/** The value of a lease: who holds it and where others reach the holder. */
export interface LeaseHolder {
  /** The framework host's id (--host-id): one worker per plugin per host, so it names the worker too. */
  holder: string;
  /** The plugin's HTTP URL on the holder (standbys proxy to it). */
  url: string;
  pid: number;
}

export type LeaseStore = Pick<PluginStore, 'get' | 'create' | 'update'>;

export interface PluginLeaseOptions {
  store: LeaseStore;
  key: string;
  me: LeaseHolder;
  ttlMs: number;
  clock: Clock;
  log: Logger;
  /** Called once, when this process becomes the leader; `epoch` is the lease revision at that moment. */
  onAcquired(epoch: number): void;
  /** Called once, when a leader can no longer be sure it holds the lease: it must stop leading at once. */
  onLost(reason: string): void;
}

export type { LeaseRole } from '@pando/common';

function parseHolder(value: unknown): LeaseHolder | undefined {
  const candidate = value as Partial<LeaseHolder> | null;
  if (typeof candidate?.holder !== 'string' || typeof candidate.url !== 'string') return undefined;
  return { holder: candidate.holder, url: candidate.url, pid: typeof candidate.pid === 'number' ? candidate.pid : 0 };
}

/**
 * Leader election for one plugin: the shared KV lease (libs/common KvLease). A key held by this
 * same host id was held by this plugin's previous worker, which the supervisor restarts only
 * after it exited: it is taken over at once.
 */
export class PluginLease extends KvLease<LeaseHolder> {
  constructor({ store, me, ...options }: PluginLeaseOptions) {
    const kv: LeaseKv = {
      get: (key) => store.get(key),
      create: (key, value) => store.create(key, value),
      update: (key, value, revision) => store.update(key, value, revision),
    };
    super({ ...options, kv, me, parseHolder, isPredecessor: (holder) => holder.holder === me.holder, describe: (holder) => `host ${holder.holder}` });
  }
}
