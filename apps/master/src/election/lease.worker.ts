import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Kvm } from '@nats-io/kv';
import { connectNats, createLogger, describeError, systemClock, type NatsSettings } from '@pando/common';
import { JetStreamKv } from '../registry/kv-bucket';
import type { LeaderInfo } from './leader-info';
import { MasterLease } from './master-lease';

/** What the main thread gives the lease worker. */
export interface LeaseWorkerData {
  nats: NatsSettings;
  bucket: string;
  replicas: number;
  key: string;
  me: LeaderInfo;
  ttlMs: number;
  /** A leader whose main thread has not run for this long is wedged: the process ends. */
  stallLimitMs: number;
}

export type ToLeaseWorker = { type: 'alive' } | { type: 'release' };
export type FromLeaseWorker = { type: 'acquired'; epoch: number } | { type: 'leader'; leader?: LeaderInfo } | { type: 'released' };

const STALL_CHECK_MS = 100;
const OPEN_RETRY_MS = 500;

/**
 * The leader lease on a thread of its own, with a NATS connection of its own: renewals go out and
 * their acknowledgements come back while the main thread is busy (a burst of launches and status
 * updates can keep it from timers and I/O for a second or more), so a busy leader keeps leading.
 * The main thread says it is alive every 250 ms; a leader whose main thread has been silent for
 * the stall limit is wedged, and the process ends. So does a leader that cannot renew: the worker
 * kills the whole process (SIGKILL) at 0.9 ttl, whatever the main thread is doing, so a stalled
 * main thread can never act after its lease may have passed to a standby.
 */
async function run(data: LeaseWorkerData): Promise<void> {
  const log = createLogger('lease-worker', { masterId: data.me.masterId });
  const post = (message: FromLeaseWorker): void => parentPort!.postMessage(message);
  const nc = await connectNats(data.nats, `pando-master-${data.me.masterId}-lease`, log);
  let kv: JetStreamKv | undefined;
  while (!kv) {
    try {
      kv = new JetStreamKv(await new Kvm(nc).create(data.bucket, { replicas: data.replicas, history: 1, description: 'pando masters: leader lease and registry' }), data.bucket);
    } catch (err) {
      log.debug({ err: describeError(err) }, 'cannot open the lease bucket yet');
      await new Promise((resolve) => setTimeout(resolve, OPEN_RETRY_MS));
    }
  }
  let lastAlive = Date.now();
  const lease = new MasterLease({
    kv,
    key: data.key,
    me: data.me,
    ttlMs: data.ttlMs,
    clock: systemClock,
    log,
    onAcquired: (epoch) => post({ type: 'acquired', epoch }),
    onLeaderSeen: (leader) => post(leader ? { type: 'leader', leader } : { type: 'leader' }),
    onLost: (reason) => die(`stopped leading: ${reason}`),
  });
  parentPort!.on('message', (message: ToLeaseWorker) => {
    if (message.type === 'alive') lastAlive = Date.now();
    else if (message.type === 'release') {
      void lease.release().then(async () => {
        await nc.close().catch(() => undefined);
        post({ type: 'released' });
      });
    }
  });
  setInterval(() => {
    const silentMs = Date.now() - lastAlive;
    if (lease.role === 'leader' && silentMs > data.stallLimitMs) die(`stopped leading: the main thread did not run for ${silentMs} ms`);
  }, STALL_CHECK_MS);
  lease.start();
}

/** Crash-only, at once: the line is written synchronously, then the process is killed. */
function die(reason: string): never {
  const line = { level: 60, time: new Date().toISOString(), pid: process.pid, component: 'lease-worker', reason, msg: `exiting: ${reason}` };
  writeSync(1, `${JSON.stringify(line)}\n`);
  process.kill(process.pid, 'SIGKILL');
  throw new Error(reason);
}

if (parentPort) {
  run(workerData as LeaseWorkerData).catch((err: unknown) => die(`the lease worker failed: ${describeError(err)}`));
}
