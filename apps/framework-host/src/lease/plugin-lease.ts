import { ConflictError, describeError, type Clock, type Logger, type TimerHandle } from '@pando/common';
import type { PluginStore, StoredValue } from '@pando/sdk';

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

export type LeaseStore = Pick<PluginStore, 'get' | 'create' | 'update' | 'delete'>;

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

export type LeaseRole = 'standby' | 'leader' | 'stopped';

/**
 * Leader election for one plugin over a KV key, by revision compare-and-set. No clock is shared
 * between hosts: every duration is measured locally.
 *
 * - The leader rewrites the key every ttl/3 with `update(key, me, revision)`. Its lease is good
 *   until (time the last successful write was *sent*) + 0.9 × ttl; past that, or when a write
 *   finds another revision (someone took over), it reports the loss.
 * - A standby polls the key every ttl/10 and remembers when it last saw the revision change.
 *   When the revision has not moved for a whole ttl, the leader is gone (a live one would have
 *   rewritten it three times): the standby takes over with `update(key, me, thatRevision)`, which
 *   fails if the leader wrote meanwhile. A missing key (never held, or released) is taken with
 *   `create`.
 * - Safety: a standby sees a write only after it was sent, so it waits at least ttl after the
 *   leader's last send, while the leader stops at 0.9 × ttl after it.
 * - A key held by this same host id was held by this plugin's previous worker, which the
 *   supervisor restarts only after it exited: it is taken over at once.
 *
 * The epoch is the KV revision at which the lease was acquired: it grows with every acquisition.
 */
export class PluginLease {
  private roleValue: LeaseRole = 'standby';
  private revision = 0;
  private epochValue = 0;
  private observed: { revision: number; at: number } | undefined;
  private current: LeaseHolder | undefined;
  private stepTimer: TimerHandle | undefined;
  private expiryTimer: TimerHandle | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private readonly renewEveryMs: number;
  private readonly pollEveryMs: number;
  private readonly graceMs: number;

  constructor(private readonly options: PluginLeaseOptions) {
    this.renewEveryMs = Math.max(1, Math.floor(options.ttlMs / 3));
    this.pollEveryMs = Math.max(1, Math.floor(options.ttlMs / 10));
    this.graceMs = Math.floor(options.ttlMs * 0.9);
  }

  get role(): LeaseRole {
    return this.roleValue;
  }

  /** The revision this process acquired the lease at (0 when it never led). */
  get epoch(): number {
    return this.epochValue;
  }

  /** The holder last seen (this process when leading), if any. */
  get leader(): LeaseHolder | undefined {
    return this.roleValue === 'leader' ? this.options.me : this.current;
  }

  /** Starts campaigning (the first attempt is made at once). */
  start(): void {
    this.schedule(0);
  }

  /** Resolves when the step in flight (if any) has finished: for tests driving a fake clock. */
  settled(): Promise<void> {
    return this.inFlight;
  }

  /**
   * Stops campaigning and, when leading, deletes the key so a standby takes over at its next poll
   * instead of after a ttl. Idempotent.
   */
  async release(): Promise<void> {
    const wasLeader = this.roleValue === 'leader';
    this.halt();
    await this.inFlight;
    if (!wasLeader) return;
    try {
      await this.options.store.delete(this.options.key);
      this.options.log.info({ lease: this.options.key }, `released lease ${this.options.key}`);
    } catch (err) {
      this.options.log.warn({ lease: this.options.key, err: describeError(err) }, `could not release lease ${this.options.key}; it expires by itself`);
    }
  }

  /** Stops every timer without touching the key, as a crash would (the lease then expires). */
  halt(): void {
    this.roleValue = 'stopped';
    this.clearTimers();
  }

  private schedule(ms: number): void {
    if (this.roleValue === 'stopped') return;
    if (this.stepTimer) this.options.clock.clearTimeout(this.stepTimer);
    this.stepTimer = this.options.clock.setTimeout(() => {
      this.stepTimer = undefined;
      this.inFlight = this.step().catch((err: unknown) => this.options.log.error({ err: describeError(err) }, 'lease step failed'));
    }, ms);
    this.stepTimer.unref?.();
  }

  private async step(): Promise<void> {
    if (this.roleValue === 'leader') await this.renew();
    else if (this.roleValue === 'standby') await this.campaign();
  }

  private async campaign(): Promise<void> {
    const { store, key, me, clock, ttlMs } = this.options;
    let read: StoredValue<LeaseHolder> | undefined;
    try {
      read = await store.get<LeaseHolder>(key);
    } catch (err) {
      this.options.log.warn({ lease: key, err: describeError(err) }, `cannot read lease ${key}: ${describeError(err)}`);
      return this.schedule(this.pollEveryMs);
    }
    const now = clock.now();
    if (!read) {
      this.current = undefined;
      await this.tryAcquire(() => store.create(key, me), 'it is free');
    } else if (read.value?.holder === me.holder) {
      await this.tryAcquire(() => store.update(key, me, read.revision), 'it was held by the previous worker of this host');
    } else if (read.revision !== this.observed?.revision) {
      this.current = read.value;
      this.observed = { revision: read.revision, at: now };
    } else if (now - this.observed.at >= ttlMs) {
      const silentMs = now - this.observed.at;
      await this.tryAcquire(() => store.update(key, me, read.revision), `holder ${read.value?.holder} did not renew for ${silentMs} ms`);
    }
    if (this.roleValue === 'standby') this.schedule(this.pollEveryMs);
  }

  private async tryAcquire(write: () => Promise<number>, why: string): Promise<void> {
    const sentAt = this.options.clock.now();
    let revision: number;
    try {
      revision = await write();
    } catch (err) {
      if (!(err instanceof ConflictError)) this.options.log.warn({ lease: this.options.key, err: describeError(err) }, `cannot take lease ${this.options.key}: ${describeError(err)}`);
      // Someone else wrote first: observe afresh.
      this.observed = undefined;
      return;
    }
    if (this.roleValue !== 'standby') return;
    this.roleValue = 'leader';
    this.revision = revision;
    this.epochValue = revision;
    this.extend(sentAt);
    this.options.log.info({ lease: this.options.key, epoch: revision }, `acquired lease ${this.options.key} (epoch ${revision}): ${why}`);
    this.schedule(this.renewEveryMs);
    this.options.onAcquired(revision);
  }

  private async renew(): Promise<void> {
    const { store, key, me, clock } = this.options;
    const sentAt = clock.now();
    try {
      this.revision = await store.update(key, me, this.revision);
    } catch (err) {
      if (this.roleValue !== 'leader') return;
      if (err instanceof ConflictError) return this.lose(`lease ${key} was taken over by another host`);
      this.options.log.warn({ lease: key, err: describeError(err) }, `cannot renew lease ${key}: ${describeError(err)}`);
      return this.schedule(Math.max(1, Math.floor(this.renewEveryMs / 3)));
    }
    if (this.roleValue !== 'leader') return;
    this.extend(sentAt);
    this.schedule(this.renewEveryMs);
  }

  /** The lease is good until grace after the write was sent; the expiry timer ends leadership then. */
  private extend(sentAt: number): void {
    const { clock } = this.options;
    if (this.expiryTimer) clock.clearTimeout(this.expiryTimer);
    const remaining = sentAt + this.graceMs - clock.now();
    this.expiryTimer = clock.setTimeout(() => this.lose(`lease ${this.options.key} could not be renewed within ${this.graceMs} ms`), Math.max(0, remaining));
    this.expiryTimer.unref?.();
  }

  private lose(reason: string): void {
    if (this.roleValue !== 'leader') return;
    this.halt();
    this.options.log.error({ lease: this.options.key, epoch: this.epochValue, reason }, `lost lease ${this.options.key}: ${reason}`);
    this.options.onLost(reason);
  }

  private clearTimers(): void {
    if (this.stepTimer) this.options.clock.clearTimeout(this.stepTimer);
    if (this.expiryTimer) this.options.clock.clearTimeout(this.expiryTimer);
    this.stepTimer = undefined;
    this.expiryTimer = undefined;
  }
}
