/**
 * A framework that floods the master with RECONCILE and DECLINE calls, run as its own process
 * by flood.e2e-spec.ts (so that its own load does not slow the framework the test measures).
 * Args: <nats url> <seconds> <concurrency>. Prints `ready` once its tasks run and it floods,
 * then one JSON line with what it measured.
 */
import { connect } from '@nats-io/transport-node';
import { Resources } from '@pando/resources';
import { SchedulerDriver, taskSpec, type Scheduler } from '@pando/sdk';
import type { Offer } from '@pando/protocol';

async function main(): Promise<void> {
  const [url, secondsArg, concurrencyArg] = process.argv.slice(2);
  const seconds = Number(secondsArg ?? 5);
  const concurrency = Number(concurrencyArg ?? 16);
  const nc = await connect({ servers: url });
  const offers: Offer[] = [];
  let running = 0;
  let answers = 0;
  const scheduler: Scheduler = {
    offers: (_d, o) => void offers.push(...o),
    update: (_d, status) => {
      if (status.reason === 'REASON_RECONCILIATION') answers++;
      else if (status.state === 'RUNNING') running++;
    },
  };
  const driver = new SchedulerDriver({ nc, scheduler, frameworkInfo: { name: 'flooder', roles: ['flood'] }, callTimeoutMs: 30_000 });
  await driver.start();
  while (offers.length === 0) await new Promise((r) => setTimeout(r, 20));
  const offer = offers.shift()!;
  const tasks = Array.from({ length: 40 }, (_, i) =>
    taskSpec({ name: `flood-${i}`, agentId: offer.agentId, resources: Resources.parse('cpus:0.01;mem:8'), command: 'sleep 120' }),
  );
  await driver.launch(offer, tasks, { refuseSeconds: 3600 });
  await driver.suppress();
  if (offers.length > 0) await driver.decline(offers.splice(0), { refuseSeconds: 3600 });
  while (running < tasks.length) await new Promise((r) => setTimeout(r, 20));

  const bogus = Array.from({ length: 1000 }, (_, i) => `bogus-offer-${i}`);
  const unknown = Array.from({ length: 1000 }, (_, i) => ({ taskId: `unknown-${i}` }));
  const until = Date.now() + seconds * 1000;
  let served = 0;
  const failures: string[] = [];
  const worker = async (n: number): Promise<void> => {
    while (Date.now() < until) {
      const call = n % 3 === 0 ? driver.reconcile() : n % 3 === 1 ? driver.reconcile(unknown) : driver.decline(bogus, { refuseSeconds: 1 });
      await call.then(
        () => served++,
        (err: unknown) => failures.push(String(err)),
      );
      n += concurrency;
    }
  };
  process.stdout.write('ready\n');
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  await new Promise((r) => setTimeout(r, 500));
  process.stdout.write(`${JSON.stringify({ served, failed: failures.length, firstFailure: failures[0], answers, state: driver.state })}\n`);
  await driver.stop({ failover: false }).catch(() => undefined);
  await nc.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`flooder failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
