import type { Clock, TimerHandle } from '../clock';
import { ConflictError, describeError } from '../errors';
import type { Logger } from '../logger';

/** What a lease needs from a KV bucket: revisioned reads and compare-and-set writes (JSON values). */
export interface LeaseKv {
  get(key: string): Promise<{ value: unknown; revision: number } | undefined>;
  /** Writes only if the key has no value; the new revision (ConflictError otherwise). */
  create(key: string, value: unknown): Promise<number>;
  /** Writes only if the key is still at `revision`; the new revision (ConflictError otherwise). */
  update(key: string, value: unknown, revision: number): Promise<number>;
}

export interface KvLeaseOptions<Holder> {
  kv: LeaseKv;
  key: string;
  /** This process as the lease names its holder. */
  me: Holder;
  /** Reads a stored value as a holder; undefined for a released or foreign value (never trusted blindly). */
  parseHolder(value: unknown): Holder | undefined;
  /** A holder that is this same process's predecessor (restarted after it exited): taken over at once. */
  isPredecessor?(holder: Holder): boolean;
  /** Names a holder in logs. */
  describe(holder: Holder): string;
  ttlMs: number;
  clock: Clock;
  log: Logger;
  /** Called once, when this process becomes the leader; `epoch` is the lease revision at that moment. */
  onAcquired(epoch: number): void;
  /** Called once, when the leader can no longer be sure it holds the lease: it must stop leading at once. */
  onLost(reason: string): void;
  /** Called whenever the holder seen changes (undefined: nobody holds the lease). */
  onHolderSeen?(holder: Holder | undefined): void;
}

export type LeaseRole = 'standby' | 'leader' | 'stopped';

/**
 * Leader election over one KV key by revision compare-and-set, shared by the masters and the
 * framework host's plugins. No clock is shared between hosts: every duration is measured
 * locally. nats-server 2.9 has no per-key TTL, so the TTL is enforced here:
 *
 * - The leader rewrites the key every ttl/3 with `update(key, me, revision)`. Its lease is good
 *   until (time the last successful write was *sent*) + 0.9 × ttl; past that, or when a write
 *   finds another revision (someone took over), it reports the loss.
 * - A standby polls the key every ttl/10 and remembers when it last saw the revision change.
 *   When the revision has not moved for a whole ttl, the leader is gone (a live one would have
 *   rewritten it three times): the standby takes over with `update(key, me, thatRevision)`, which
 *   fails if the leader wrote meanwhile. A missing key is taken with `create`; a released one
 *   (`{released: ...}`, no holder) at once.
 * - Safety: a standby sees a write only after it was sent, so it waits at least ttl after the
 *   leader's last send, while the leader stops at 0.9 × ttl after it.
 *
 * The epoch is the KV revision at which the lease was acquired: the bucket's revisions only grow,
 * so every acquisition has a higher epoch than the ones before.
 */
export class KvLease<Holder> {
  private roleValue: LeaseRole = 'standby';
  private revision = 0;
  private epochValue = 0;
  private observed: { revision: number; at: number } | undefined;
  private current: Holder | undefined;
  private currentName: string | undefined;
  private stepTimer: TimerHandle | undefined;
  private expiryTimer: TimerHandle | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private readonly renewEveryMs: number;
  private readonly pollEveryMs: number;
  private readonly graceMs: number;

  constructor(private readonly options: KvLeaseOptions<Holder>) {
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
  get leader(): Holder | undefined {
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
   * Stops campaigning and, when leading, marks the lease released (a compare-and-set on its own
   * revision, so a lease someone else holds by now is left alone): a standby takes over at its
   * next poll instead of after a ttl. Call it only once this process stopped acting as the leader.
   */
  async release(): Promise<void> {
    const wasLeader = this.roleValue === 'leader';
    this.halt();
    await this.inFlight;
    if (!wasLeader) return;
    const { kv, key, me, describe, log } = this.options;
    try {
      await kv.update(key, { released: describe(me) }, this.revision);
      log.info({ lease: key }, `released lease ${key}`);
    } catch (err) {
      log.warn({ lease: key, err: describeError(err) }, `could not release lease ${key}; it expires by itself`);
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
    const { kv, key, me, clock, ttlMs, log } = this.options;
    let read: { value: unknown; revision: number } | undefined;
    try {
      read = await kv.get(key);
    } catch (err) {
      log.warn({ lease: key, err: describeError(err) }, `cannot read lease ${key}: ${describeError(err)}`);
      return this.schedule(this.pollEveryMs);
    }
    const now = clock.now();
    const holder = read ? this.options.parseHolder(read.value) : undefined;
    if (!read) {
      this.see(undefined);
      await this.tryAcquire(() => kv.create(key, me), 'it is free');
    } else if (holder && this.options.isPredecessor?.(holder)) {
      await this.tryAcquire(() => kv.update(key, me, read.revision), 'it was held by the previous process in this place');
    } else if (read.revision !== this.observed?.revision) {
      this.see(holder);
      this.observed = { revision: read.revision, at: now };
      if (!holder) await this.tryAcquire(() => kv.update(key, me, read.revision), 'it was released');
    } else if (now - this.observed.at >= ttlMs) {
      const silentMs = now - this.observed.at;
      const name = holder ? this.options.describe(holder) : '(unknown)';
      await this.tryAcquire(() => kv.update(key, me, read.revision), `${name} did not renew it for ${silentMs} ms`);
    }
    if (this.roleValue === 'standby') this.schedule(this.pollEveryMs);
  }

  private see(holder: Holder | undefined): void {
    const name = holder === undefined ? undefined : JSON.stringify(holder);
    this.current = holder;
    if (name === this.currentName) return;
    this.currentName = name;
    this.options.onHolderSeen?.(holder);
  }

  private async tryAcquire(write: () => Promise<number>, why: string): Promise<void> {
    const { key, log, clock } = this.options;
    const sentAt = clock.now();
    let revision: number;
    try {
      revision = await write();
    } catch (err) {
      if (!(err instanceof ConflictError)) log.warn({ lease: key, err: describeError(err) }, `cannot take lease ${key}: ${describeError(err)}`);
      // Someone else wrote first (or the write may have failed): observe afresh.
      this.observed = undefined;
      return;
    }
    if (this.roleValue !== 'standby') return;
    this.roleValue = 'leader';
    this.revision = revision;
    this.epochValue = revision;
    this.extend(sentAt);
    log.info({ lease: key, epoch: revision, why }, `acquired lease ${key} (epoch ${revision}): ${why}`);
    this.schedule(this.renewEveryMs);
    this.see(this.options.me);
    this.options.onAcquired(revision);
  }

  private async renew(): Promise<void> {
    const { kv, key, me, clock, log } = this.options;
    const sentAt = clock.now();
    try {
      this.revision = await kv.update(key, me, this.revision);
    } catch (err) {
      if (this.roleValue !== 'leader') return;
      if (err instanceof ConflictError) return this.lose(`lease ${key} was taken over by another process`);
      log.warn({ lease: key, err: describeError(err) }, `cannot renew lease ${key}: ${describeError(err)}`);
      // Retry soon: the lease is good for a while yet, and a quick retry may save it.
      return this.schedule(Math.max(1, Math.floor(this.renewEveryMs / 3)));
    }
    if (this.roleValue !== 'leader') return;
    this.extend(sentAt);
    this.schedule(this.renewEveryMs);
  }

  /** The lease is good until grace after the write was sent; the expiry timer ends leadership then. */
  private extend(sentAt: number): void {
    const { clock, key } = this.options;
    if (this.expiryTimer) clock.clearTimeout(this.expiryTimer);
    const remaining = sentAt + this.graceMs - clock.now();
    this.expiryTimer = clock.setTimeout(() => this.lose(`lease ${key} could not be renewed within ${this.graceMs} ms`), Math.max(0, remaining));
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
