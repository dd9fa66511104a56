import type { Clock, Logger } from '@pando/common';
import type { KvPort } from '../registry/kv-bucket';
import type { LeaderInfo } from './leader-info';
import { MasterLease, type LeaseRole } from './master-lease';

/** What the election hears from the lease, wherever it runs. */
export interface LeaseEvents {
  acquired(epoch: number): void;
  leaderSeen(leader: LeaderInfo | undefined): void;
  /** The lease may be gone: this master must stop leading at once (in a worker, it has already ended the process). */
  lost(reason: string): void;
}

/** The leader lease as MasterElection drives it: on the main thread (specs) or in a worker (production). */
export interface LeaseRunner {
  readonly role: LeaseRole;
  start(): Promise<void>;
  /** Releases the lease if held, and stops campaigning. */
  release(): Promise<void>;
}

/**
 * The lease on the main thread. Simple, but its renewals wait for the event loop: a leader busy
 * for longer than the grace (a burst of thousands of messages) loses its lease. Used by the
 * in-process specs; the master process runs the lease in a worker (WorkerLease).
 */
export class InThreadLease implements LeaseRunner {
  private lease?: MasterLease;

  constructor(
    private readonly open: () => Promise<KvPort>,
    private readonly settings: { key: string; me: LeaderInfo; ttlMs: number; clock: Clock; log: Logger },
    private readonly events: LeaseEvents,
  ) {}

  get role(): LeaseRole {
    return this.lease?.role ?? 'standby';
  }

  async start(): Promise<void> {
    const kv = await this.open();
    this.lease = new MasterLease({
      kv,
      ...this.settings,
      onAcquired: (epoch) => this.events.acquired(epoch),
      onLost: (reason) => this.events.lost(reason),
      onLeaderSeen: (leader) => this.events.leaderSeen(leader),
    });
    this.lease.start();
  }

  async release(): Promise<void> {
    await this.lease?.release();
  }
}
