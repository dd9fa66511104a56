import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createLogger, describeError, type Clock } from '@pando/common';
import { MasterIdentity } from '../identity/master-identity';
import { Leadership } from '../leadership/leadership.service';
import { LEASE_CLOCK, LEASE_IN_WORKER, MASTER_EXIT, MASTER_OPTIONS_TOKEN, type MasterExit } from '../master.tokens';
import type { MasterOptions } from '../master.options';
import { MasterRegistry } from '../registry/master-registry.service';
import { RegistryBucket } from '../registry/registry-bucket.service';
import { LEADER_KEY, type LeaderInfo } from './leader-info';
import { InThreadLease, type LeaseEvents, type LeaseRunner } from './lease-runner';
import { WorkerLease } from './worker-lease';

/** Exit status of a leader that lost its lease (a supervisor restarts it as a standby). */
export const EXIT_LEASE_LOST = 2;
/** Exit status of a master that won the lease but could not take over. */
export const EXIT_TAKEOVER_FAILED = 1;

/**
 * Campaigns for the leader lease once the HTTP server listens (the lease names the leader's URL).
 * Winning starts the leadership; losing it ends the process (crash-only: a leader that cannot be
 * sure it leads must not act, and a fresh standby is simpler than a leader stepping down in
 * place). On an orderly shutdown the lease is released after the subjects were unsubscribed, so
 * a standby takes over at its next poll. The master process runs the lease in a worker thread
 * (WorkerLease), so that a leader busy for a second keeps its lease; specs run it in-thread.
 */
@Injectable()
export class MasterElection implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = createLogger('election');
  private lease?: LeaseRunner;
  private stopped = false;
  private started = false;

  constructor(
    private readonly bucket: RegistryBucket,
    private readonly registry: MasterRegistry,
    private readonly identity: MasterIdentity,
    private readonly leadership: Leadership,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(MASTER_OPTIONS_TOKEN) private readonly options: MasterOptions,
    @Inject(MASTER_EXIT) private readonly exit: MasterExit,
    @Inject(LEASE_CLOCK) private readonly clock: Clock,
    @Inject(LEASE_IN_WORKER) private readonly inWorker: boolean,
  ) {}

  get role(): 'standby' | 'leader' | 'stopped' {
    return this.lease?.role ?? 'standby';
  }

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) return;
    const begin = (): void => {
      const address = server.address() as AddressInfo | null;
      if (address && typeof address === 'object') this.identity.setHttpPort(address.port);
      void this.start();
    };
    if (server.listening) begin();
    else server.once('listening', begin);
  }

  /** Starts campaigning (idempotent); called once the HTTP server listens. */
  async start(): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    await this.bucket.open();
    if (this.stopped) return;
    // A warm standby: the registry is copied as it changes, ready for the day this master leads.
    await this.registry.standBy().catch((err: unknown) => this.log.warn({ err: describeError(err) }, `cannot copy the registry: ${describeError(err)}`));
    if (this.stopped) return;
    const events: LeaseEvents = {
      acquired: (epoch) => this.acquired(epoch),
      lost: (reason) => this.exit(EXIT_LEASE_LOST, `stopped leading: ${reason}`),
      leaderSeen: (leader) => this.leaderSeen(leader),
    };
    const { leaseTtlMs: ttlMs, nats, registryBucket: bucket, kvReplicas: replicas, leaderStallLimitMs: stallLimitMs } = this.options;
    const me = this.identity.self;
    this.lease = this.inWorker
      ? new WorkerLease({ nats, bucket, replicas, key: LEADER_KEY, me, ttlMs, stallLimitMs }, events, this.log)
      : new InThreadLease(() => this.bucket.openForLease(), { key: LEADER_KEY, me, ttlMs, clock: this.clock, log: this.log }, events);
    this.log.info({ masterId: me.masterId, url: me.url, ttlMs, worker: this.inWorker }, 'standing by; campaigning for the leader lease');
    await this.lease.start();
  }

  private leaderSeen(leader: LeaderInfo | undefined): void {
    this.identity.observeLeader(leader);
    if (!this.identity.leader) this.log.info({ leader: leader?.masterId, url: leader?.url }, leader ? `master ${leader.masterId} leads (${leader.url})` : 'no master leads');
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.lease?.release();
  }

  private acquired(epoch: number): void {
    this.leadership.begin(epoch).catch((err: unknown) => {
      this.log.fatal({ err: describeError(err) }, `could not take over as leader: ${describeError(err)}`);
      this.exit(EXIT_TAKEOVER_FAILED, `could not take over as leader: ${describeError(err)}`);
    });
  }
}
