import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describeError, type Logger } from '@pando/common';
import type { LeaseEvents, LeaseRunner } from './lease-runner';
import type { FromLeaseWorker, LeaseWorkerData, ToLeaseWorker } from './lease.worker';
import type { LeaseRole } from './master-lease';

const ALIVE_EVERY_MS = 250;
const RELEASE_TIMEOUT_MS = 3000;

/**
 * The leader lease in a worker thread (lease.worker.ts): the main thread only relays what the
 * worker says, and tells it every 250 ms that it still runs.
 */
export class WorkerLease implements LeaseRunner {
  private worker?: Worker;
  private roleValue: LeaseRole = 'standby';
  private alive?: NodeJS.Timeout;
  private releasing = false;
  private released?: () => void;

  constructor(
    private readonly data: LeaseWorkerData,
    private readonly events: LeaseEvents,
    private readonly log: Logger,
  ) {}

  get role(): LeaseRole {
    return this.roleValue;
  }

  async start(): Promise<void> {
    const worker = new Worker(join(__dirname, 'lease.worker.js'), { workerData: this.data, name: 'pando-master-lease' });
    this.worker = worker;
    worker.on('message', (message: FromLeaseWorker) => this.onMessage(message));
    worker.on('error', (err) => this.ended(`the lease worker failed: ${describeError(err)}`));
    worker.on('exit', (code) => this.ended(`the lease worker exited (${code})`));
    this.alive = setInterval(() => this.send({ type: 'alive' }), ALIVE_EVERY_MS);
    this.alive.unref();
  }

  async release(): Promise<void> {
    const worker = this.worker;
    if (!worker || this.releasing) return;
    this.releasing = true;
    if (this.alive) clearInterval(this.alive);
    await new Promise<void>((resolve) => {
      this.released = resolve;
      setTimeout(resolve, RELEASE_TIMEOUT_MS).unref();
      this.send({ type: 'release' });
    });
    this.roleValue = 'stopped';
    await worker.terminate();
  }

  private onMessage(message: FromLeaseWorker): void {
    switch (message.type) {
      case 'acquired':
        this.roleValue = 'leader';
        this.events.acquired(message.epoch);
        return;
      case 'leader':
        this.events.leaderSeen(message.leader);
        return;
      case 'released':
        this.released?.();
        return;
    }
  }

  private send(message: ToLeaseWorker): void {
    this.worker?.postMessage(message);
  }

  private ended(reason: string): void {
    if (this.releasing) return;
    if (this.alive) clearInterval(this.alive);
    this.log.error({ reason }, reason);
    this.roleValue = 'stopped';
    this.events.lost(reason);
  }
}
