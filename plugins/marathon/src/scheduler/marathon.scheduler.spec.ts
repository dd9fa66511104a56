import { FakeClock } from '@pando/testing';
import { MarathonTestApp } from '../testing/marathon-test-app';
import { SimCluster } from '../testing/sim-cluster';
import { InstanceKeeper } from './instance-keeper.service';

describe('MarathonScheduler', () => {
  let clock: FakeClock;
  let t: MarathonTestApp;
  let sim: SimCluster;

  beforeEach(async () => {
    clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    t = await MarathonTestApp.start({ clock });
    sim = new SimCluster(t, [
      { agentId: 'agent-1', hostname: 'host-1' },
      { agentId: 'agent-2', hostname: 'host-2' },
    ]);
  });

  afterEach(async () => {
    await t.close();
  });

  async function appJson(id: string): Promise<any> {
    return (await t.request('GET', `/v2/apps${id}`)).json.app;
  }

  it('scales 2 -> 5 -> 1, killing the youngest tasks first', async () => {
    await t.request('POST', '/v2/apps', { id: '/web', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 2 });
    const firstTwo = (await sim.round()).map((spec) => spec.taskId.replaceAll(':', '.'));
    expect(sim.running()).toHaveLength(2);
    clock.advance(1000);
    expect((await t.request('PUT', '/v2/apps/web', { instances: 5 })).status).toBe(200);
    await sim.round();
    expect(sim.running()).toHaveLength(5);
    expect((await appJson('/web')).tasksRunning).toBe(5);
    clock.advance(1000);
    await t.request('PUT', '/v2/apps/web', { instances: 1 });
    t.converge();
    await t.settle();
    expect(sim.applyKills()).toBe(4);
    t.converge();
    const app = await appJson('/web');
    expect(app.tasksRunning).toBe(1);
    expect(firstTwo).toContain(app.tasks[0].id);
  });

  it('replaces a failed task after the backoff, and records lastTaskFailure', async () => {
    await t.request('POST', '/v2/apps', { id: '/svc', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 1, backoffSeconds: 10 });
    const [first] = await sim.round();
    sim.report(first!.taskId, 'FAILED', { message: 'exited with code 1' });
    t.converge();
    expect(await sim.round()).toHaveLength(0); // still backing off
    const queue = (await t.request('GET', '/v2/queue')).json.queue;
    expect(queue[0]).toMatchObject({ count: 1, delay: { overdue: false } });
    clock.advance(10_001);
    t.converge();
    expect(await sim.round()).toHaveLength(1);
    const app = await appJson('/svc');
    expect(app.lastTaskFailure).toMatchObject({ state: 'TASK_FAILED', message: 'exited with code 1', taskId: first!.taskId.replaceAll(':', '.') });
  });

  it('declines offers with the long filter and suppresses when nothing waits, revives when something does', async () => {
    await t.offers(sim.offers());
    t.converge();
    await t.settle();
    expect(t.driver.callsOf('DECLINE').at(-1)?.filters).toEqual({ refuseSeconds: 120 });
    expect(t.driver.callsOf('SUPPRESS').length).toBeGreaterThan(0);
    t.driver.clear();
    await t.request('POST', '/v2/apps', { id: '/x', cmd: 'sleep 1', cpus: 0.1, mem: 16 });
    t.converge();
    await t.settle();
    expect(t.driver.callsOf('REVIVE')).toHaveLength(1);
  });

  it('places many instances per offer in one ACCEPT', async () => {
    await t.request('POST', '/v2/apps', { id: '/many', cmd: 'sleep 1000', cpus: 0.05, mem: 1, instances: 300, portDefinitions: [] });
    const launched = await sim.round();
    expect(launched).toHaveLength(300);
    expect(t.driver.callsOf('ACCEPT')).toHaveLength(2);
    expect(t.get(InstanceKeeper).waiting()).toEqual([]);
  });

  it('keeps an app that cannot be placed waiting, and /v2/queue says why', async () => {
    await t.request('POST', '/v2/apps', { id: '/big', cmd: 'sleep 1', cpus: 64, mem: 16 });
    await sim.round();
    const res = await t.request('GET', '/v2/queue?embed=lastUnusedOffers');
    const item = res.json.queue[0];
    expect(item).toMatchObject({ count: 1, app: { id: '/big' } });
    expect(item.processedOffersSummary.rejectSummaryLaunchAttempt).toContainEqual({ reason: 'InsufficientCpus', declined: 2, processed: 2 });
    expect(item.lastUnusedOffers[0].reason).toEqual(['InsufficientCpus']);
  });

  it('spreads UNIQUE hostname over the agents and leaves the rest waiting', async () => {
    await t.request('POST', '/v2/apps', { id: '/uniq', cmd: 'sleep 1', cpus: 0.1, mem: 16, instances: 3, constraints: [['hostname', 'UNIQUE']] });
    const launched = await sim.round();
    expect(new Set(launched.map((s) => s.agentId))).toEqual(new Set(['agent-1', 'agent-2']));
    expect(await sim.round()).toHaveLength(0);
    const queue = (await t.request('GET', '/v2/queue')).json.queue;
    expect(queue[0].count).toBe(1);
    expect(queue[0].processedOffersSummary.rejectSummaryLastOffers).toContainEqual({ reason: 'UnfulfilledConstraint', declined: 2, processed: 2 });
  });
});
