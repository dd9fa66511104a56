import { FakeClock } from '@pando/testing';
import { statusOf } from '../testing/fake-driver';
import { InMemoryPluginStore } from '../testing/in-memory-plugin-store';
import { MarathonTestApp } from '../testing/marathon-test-app';
import { SimCluster } from '../testing/sim-cluster';
import { TaskTracker } from '../state/task-tracker.service';
import { ReadinessChecker } from './readiness-checker.service';

describe('task lifecycle', () => {
  let clock: FakeClock;
  let store: InMemoryPluginStore;
  let t: MarathonTestApp;
  let sim: SimCluster;

  beforeEach(async () => {
    clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    store = new InMemoryPluginStore();
    t = await MarathonTestApp.start({ clock, store, options: { 'kill-retry-seconds': '10' } });
    sim = new SimCluster(t, [
      { agentId: 'agent-1', hostname: 'host-1' },
      { agentId: 'agent-2', hostname: 'host-2' },
    ]);
  });

  afterEach(async () => {
    await t.close();
  });

  const tracker = () => t.get(TaskTracker);
  const post = (body: Record<string, unknown>) => t.request('POST', '/v2/apps', { cmd: 'sleep 1', cpus: 0.1, mem: 16, ...body });

  it('writes one launch record per offer and app, and deletes it when its tasks end', async () => {
    await post({ id: '/rec', instances: 6 });
    const launched = await sim.round();
    expect(launched).toHaveLength(6);
    expect(store.size('tasks.')).toBe(2);
    for (const spec of launched) sim.report(spec.taskId, 'FINISHED');
    await t.settle();
    expect(store.size('tasks.')).toBe(0);
  });

  it('replaces an unreachable task after inactiveAfterSeconds and expunges it after expungeAfterSeconds', async () => {
    await post({ id: '/u', instances: 1, unreachableStrategy: { inactiveAfterSeconds: 10, expungeAfterSeconds: 20 } });
    const [first] = await sim.round();
    sim.report(first!.taskId, 'UNREACHABLE');
    t.converge();
    expect(await sim.round()).toHaveLength(0);
    clock.advance(10_000);
    t.converge();
    const [replacement] = await sim.round();
    expect(replacement).toBeDefined();
    clock.advance(10_000);
    t.converge();
    await t.settle();
    expect(t.driver.callsOf('KILL').map((k) => k.taskId)).toEqual([first!.taskId]);
    // Expunged: forgotten (not listed, its launch record gone), not killed again and again.
    expect(tracker().get(first!.taskId)).toBeUndefined();
    expect((await t.request('GET', '/v2/apps/u/tasks')).json.tasks.map((task: { id: string }) => task.id)).toEqual([replacement!.taskId.replace(':', '.')]);
    expect(store.size('tasks.')).toBe(1);
    clock.advance(60_000);
    t.converge();
    await t.settle();
    expect(t.driver.callsOf('KILL')).toHaveLength(1);
  });

  it('kills an expunged task that comes back instead of adopting it', async () => {
    await post({ id: '/gone', instances: 1 });
    const [first] = await sim.round();
    sim.report(first!.taskId, 'UNREACHABLE');
    t.converge();
    await t.settle();
    expect(tracker().get(first!.taskId)).toBeUndefined();
    // Its agent is back (the first kill never reached it): RUNNING again.
    sim.report(first!.taskId, 'RUNNING');
    t.converge();
    await t.settle();
    expect(tracker().get(first!.taskId)).toBeUndefined();
    expect(t.driver.callsOf('KILL').map((k) => k.taskId)).toEqual([first!.taskId, first!.taskId]);
    const [replacement] = await sim.round();
    expect(replacement).toBeDefined();
    expect(tracker().tasksOf('/gone').map((task) => task.taskId)).toEqual([replacement!.taskId]);
  });

  it('kills the surplus when an unreachable task comes back', async () => {
    await post({ id: '/back', instances: 1, unreachableStrategy: { inactiveAfterSeconds: 1, expungeAfterSeconds: 100 } });
    const [first] = await sim.round();
    sim.report(first!.taskId, 'UNREACHABLE');
    clock.advance(1000);
    t.converge();
    const [second] = await sim.round();
    sim.report(first!.taskId, 'RUNNING');
    t.converge();
    await t.settle();
    expect(t.driver.callsOf('KILL').map((k) => k.taskId)).toEqual([second!.taskId]);
  });

  it('adopts a live task of a known app it has no record of, and kills one of an unknown app', async () => {
    await post({ id: '/known', instances: 1 });
    await sim.round();
    t.update(statusOf({ taskId: 'known:00000000-0000-0000-0000-000000000001', agentId: 'agent-1' }, 'RUNNING'));
    t.update(statusOf({ taskId: 'gone:00000000-0000-0000-0000-000000000002', agentId: 'agent-1' }, 'RUNNING'));
    await t.settle();
    expect(tracker().get('known:00000000-0000-0000-0000-000000000001')).toMatchObject({ appId: '/known', host: 'host-1' });
    t.converge();
    await t.settle();
    const kills = t.driver.callsOf('KILL').map((k) => k.taskId);
    expect(kills).toContain('gone:00000000-0000-0000-0000-000000000002');
    expect(kills).toHaveLength(2); // and the surplus of /known (2 tasks for 1 instance)
  });

  it('drops tasks the master answers UNKNOWN for, and relaunches them', async () => {
    await post({ id: '/lost', instances: 1 });
    const [first] = await sim.round();
    t.update({ taskId: first!.taskId, frameworkId: 'framework-1', state: 'UNKNOWN', timestamp: clock.now(), source: 'SOURCE_MASTER', reason: 'REASON_RECONCILIATION' });
    expect(tracker().get(first!.taskId)).toBeUndefined();
    t.converge();
    expect(await sim.round()).toHaveLength(1);
  });

  it('kills again when a kill gets no terminal update', async () => {
    await post({ id: '/stuck', instances: 1 });
    const [first] = await sim.round();
    await t.request('DELETE', `/v2/apps/stuck/tasks/${first!.taskId.replaceAll(':', '.')}`);
    await t.settle();
    expect(t.driver.callsOf('KILL')).toHaveLength(1);
    clock.advance(11_000);
    await t.settle();
    expect(t.driver.callsOf('KILL')).toHaveLength(2);
  });

  it('forgets the tasks of an offer the master refused, without backoff', async () => {
    await post({ id: '/stale', instances: 1, backoffSeconds: 100 });
    t.driver.acceptReply = (ids) => ({ ok: true, refusedOffers: ids.map((offerId) => ({ offerId, reason: 'rescinded' })) });
    await t.offers(sim.offers());
    expect(t.driver.launched()).toHaveLength(1);
    expect(tracker().countOf('/stale')).toBe(0);
    t.driver.clear();
    t.driver.acceptReply = () => ({ ok: true });
    t.converge();
    expect(await sim.round()).toHaveLength(1);
  });

  it('waits for readiness checks before a deployment step completes', async () => {
    const readiness = t.get(ReadinessChecker);
    let ready = false;
    const probed: string[] = [];
    readiness.httpGet = async (url) => {
      probed.push(url);
      return { status: ready ? 200 : 503, contentType: 'text/plain', body: '' };
    };
    await post({ id: '/ready', instances: 1, portDefinitions: [{ port: 0, name: 'http-api' }], readinessChecks: [{ name: 'r', intervalSeconds: 2, timeoutSeconds: 1 }] });
    await sim.round();
    t.converge();
    await t.settle();
    expect(probed[0]).toMatch(/^http:\/\/host-1:31000\/$/);
    expect((await t.request('GET', '/v2/deployments')).json).toHaveLength(1);
    ready = true;
    clock.advance(2000);
    await t.settle();
    t.converge();
    expect((await t.request('GET', '/v2/deployments')).json).toEqual([]);
  });
});

describe('mass kills', () => {
  it('replaces the kills of every task on an agent by one SHUTDOWN', async () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const t = await MarathonTestApp.start({ clock });
    try {
      const sim = new SimCluster(t, [
        { agentId: 'agent-1', hostname: 'host-1' },
        { agentId: 'agent-2', hostname: 'host-2' },
      ]);
      await t.request('POST', '/v2/apps', { id: '/many', cmd: 'sleep 1', cpus: 0.01, mem: 1, instances: 40, portDefinitions: [] });
      await t.request('POST', '/v2/apps', { id: '/few', cmd: 'sleep 1', cpus: 0.01, mem: 1, instances: 1, portDefinitions: [], constraints: [['hostname', 'IS', 'host-2']] });
      await sim.round();
      t.driver.clear();
      await t.request('PUT', '/v2/apps/many?force=true', { instances: 0 });
      t.converge();
      await t.settle();
      // agent-1 runs only /many: one SHUTDOWN; agent-2 also runs /few: its /many tasks are killed one by one.
      expect(t.driver.calls.filter((c) => c.type === 'KILL')).toHaveLength(20);
      expect(t.driver.callsOf('SHUTDOWN')).toEqual([{ type: 'SHUTDOWN', agentId: 'agent-1' }]);
    } finally {
      await t.close();
    }
  });
});
