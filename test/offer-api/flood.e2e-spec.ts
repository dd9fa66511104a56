import { join } from 'node:path';
import { ManagedProcess, repoRoot, TestCluster, waitFor } from '@pando/testing';
import { FAST_MASTER_ARGS, TestFramework } from './test-framework.fixture';

jest.setTimeout(90_000);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * One framework (its own process) floods the master with DECLINE and RECONCILE; it must be served,
 * and another framework must keep getting offers: measured as the time from declining an offer
 * (no filter) to the agent being offered again, before and during the flood.
 */
describe('a flooding framework', () => {
  let cluster: TestCluster;
  let calm: TestFramework;

  beforeAll(async () => {
    cluster = await TestCluster.start({ agents: 2, masterArgs: FAST_MASTER_ARGS });
  });

  afterAll(async () => {
    await calm?.stop();
    await cluster?.stop();
  });

  async function turnarounds(count: number): Promise<number[]> {
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const offer = calm.take(await calm.anyOffer());
      const started = Date.now();
      await calm.driver.decline(offer, { refuseSeconds: 0 });
      await calm.offerWhere((o) => o.agentId === offer.agentId, 'the agent again', 10_000);
      times.push(Date.now() - started);
    }
    return times;
  }

  it('is served while allocation for the others goes on', async () => {
    calm = await TestFramework.start({ natsUrl: cluster.nats.url, info: { name: 'calm', roles: ['calm'] } });
    const baseline = await turnarounds(10);
    // Let go of the agents so that the flooder gets an offer for its tasks, then take them back.
    await calm.driver.suppress();
    await calm.driver.decline([...calm.held.values()].map((o) => calm.take(o)), { refuseSeconds: 0 });
    const flooder = new ManagedProcess({
      name: 'flooder',
      command: process.execPath,
      args: [join(repoRoot(), 'dist', 'test', 'offer-api', 'flooder.process.js'), cluster.nats.url, '6', '16'],
      env: { PANDO_LOG_LEVEL: 'warn' },
    });
    try {
      await flooder.waitForLine('ready', 30_000);
      await calm.driver.revive();
      const flooded = await turnarounds(20);
      await flooder.waitForExit(30_000);
      const result = JSON.parse(flooder.lines.find((l) => l.startsWith('{"served"'))!);
      const report = {
        turnaroundMs: { baselineP50: percentile(baseline, 50), baselineMax: Math.max(...baseline), floodedP50: percentile(flooded, 50), floodedP95: percentile(flooded, 95), floodedMax: Math.max(...flooded) },
        flooder: result,
      };
      process.stderr.write(`[flood] ${JSON.stringify(report)}\n`);
      expect(result.failed).toBe(0);
      expect(result.state).toBe('subscribed');
      expect(result.served).toBeGreaterThan(100);
      expect(result.answers).toBeGreaterThan(1000);
      // Allocation runs every 50 ms: without a stall the agent is offered again within a few hundred ms.
      expect(report.turnaroundMs.floodedP95).toBeLessThan(1000);
      expect(calm.driver.state).toBe('subscribed');
    } finally {
      flooder.kill('SIGKILL');
    }
  });
});
