import { FakeClock } from '@pando/testing';
import type { SchedulerDriver } from '@pando/sdk';
import { EventBus } from '../state/event-bus.service';
import { InMemoryPluginStore } from '../testing/in-memory-plugin-store';
import { MarathonTestApp } from '../testing/marathon-test-app';
import { SimCluster } from '../testing/sim-cluster';

const AGENTS = [
  { agentId: 'agent-1', hostname: 'host-1' },
  { agentId: 'agent-2', hostname: 'host-2' },
];

describe('deployments', () => {
  let clock: FakeClock;
  let t: MarathonTestApp;
  let sim: SimCluster;
  let store: InMemoryPluginStore;

  beforeEach(async () => {
    clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    store = new InMemoryPluginStore();
    t = await MarathonTestApp.start({ clock, store, options: { 'deployment-deadline-seconds': '5' } });
    sim = new SimCluster(t, AGENTS);
  });

  afterEach(async () => {
    await t.close();
  });

  async function app(id: string): Promise<any> {
    return (await t.request('GET', `/v2/apps${id}`)).json.app;
  }

  async function deployments(): Promise<any[]> {
    return (await t.request('GET', '/v2/deployments')).json;
  }

  it('restarts rolling, never below minimumHealthCapacity nor above maximumOverCapacity', async () => {
    const body = { id: '/roll', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 4, upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 } };
    await t.request('POST', '/v2/apps', body);
    await sim.round();
    const res = await t.request('PUT', '/v2/apps/roll', { cmd: 'sleep 2000' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ deploymentId: res.headers.get('marathon-deployment-id'), version: expect.any(String) });
    const seen = await deployments();
    expect(seen[0]).toMatchObject({ id: res.json.deploymentId, affectedApps: ['/roll'], currentActions: [{ action: 'RestartApplication', app: '/roll' }] });
    for (let round = 0; round < 10 && (await deployments()).length > 0; round++) {
      t.converge();
      await sim.round();
      const tasks = (await app('/roll')).tasks as Array<{ state: string }>;
      expect(tasks.length).toBeLessThanOrEqual(4);
      expect(tasks.filter((x) => x.state === 'TASK_RUNNING').length).toBeGreaterThanOrEqual(2);
    }
    expect(await deployments()).toEqual([]);
    const done = await app('/roll');
    expect(done.tasksRunning).toBe(4);
    expect(done.tasks.every((x: { version: string }) => x.version === done.version)).toBe(true);
  });

  it('locks an app under deployment (409) unless force=true', async () => {
    await t.request('POST', '/v2/apps', { id: '/locked', cmd: 'sleep 1', cpus: 0.1, mem: 16, instances: 2 });
    const first = (await deployments())[0];
    const refused = await t.request('PUT', '/v2/apps/locked', { instances: 3 });
    expect(refused.status).toBe(409);
    expect(refused.json).toEqual({ message: expect.stringContaining('locked'), deployments: [{ id: first.id }] });
    expect((await app('/locked')).instances).toBe(2);
    const forced = await t.request('PUT', '/v2/apps/locked?force=true', { instances: 3 });
    expect(forced.status).toBe(200);
    expect((await deployments()).map((d) => d.id)).toEqual([forced.json.deploymentId]);
  });

  it('fails a new version that never gets healthy after the deadline and rolls back', async () => {
    const hc = [{ protocol: 'COMMAND', command: { value: 'true' }, gracePeriodSeconds: 1, intervalSeconds: 1, maxConsecutiveFailures: 0 }];
    await t.request('POST', '/v2/apps', { id: '/bad', cmd: 'good', cpus: 0.1, mem: 16, instances: 1, healthChecks: hc });
    const [good] = await sim.round();
    sim.report(good!.taskId, 'RUNNING', { healthy: true });
    t.converge();
    expect(await deployments()).toEqual([]);
    const put = await t.request('PUT', '/v2/apps/bad', { cmd: 'broken' });
    const [broken] = await sim.round();
    sim.report(broken!.taskId, 'RUNNING', { healthy: false, message: 'check failed' });
    clock.advance(6000);
    t.converge();
    await t.settle();
    t.converge();
    await t.settle();
    const events = t.get(EventBus).recentEvents().map((e) => e.eventType);
    expect(events).toContain('deployment_failed');
    const rollback = await deployments();
    expect(rollback).toHaveLength(1);
    expect(rollback[0].id).not.toBe(put.json.deploymentId);
    const after = await app('/bad');
    expect(after.cmd).toBe('good');
    expect(after.lastTaskFailure).toMatchObject({ appId: '/bad', message: expect.stringContaining('failed') });
    sim.applyKills();
    t.converge();
    const [again] = await sim.round();
    sim.report(again!.taskId, 'RUNNING', { healthy: true });
    t.converge();
    await t.settle();
    sim.applyKills();
    t.converge();
    await t.settle();
    expect(await deployments()).toEqual([]);
  });

  it('DELETE /v2/deployments/{id} rolls back; force=true just stops', async () => {
    await t.request('POST', '/v2/apps', { id: '/c', cmd: 'a', cpus: 0.1, mem: 16, instances: 1 });
    await sim.round();
    const put = await t.request('PUT', '/v2/apps/c', { cmd: 'b' });
    const cancel = await t.request('DELETE', `/v2/deployments/${put.json.deploymentId}`);
    expect(cancel.status).toBe(200);
    expect(cancel.json.deploymentId).not.toBe(put.json.deploymentId);
    expect((await app('/c')).cmd).toBe('a');
    const stop = await t.request('DELETE', `/v2/deployments/${cancel.json.deploymentId}?force=true`);
    expect(stop.status).toBe(202);
    expect(await deployments()).toEqual([]);
    expect((await t.request('DELETE', '/v2/deployments/nope')).status).toBe(404);
  });

  it('resumes apps, tasks and a deployment in progress after a restart of the plugin', async () => {
    await t.request('POST', '/v2/apps', { id: '/keep', cmd: 'a', cpus: 0.1, mem: 16, instances: 2, upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0.5 } });
    await sim.round();
    const running = sim.running();
    await t.request('PUT', '/v2/apps/keep', { cmd: 'b' });
    await t.settle();
    await t.close();

    t = await MarathonTestApp.start({ clock, store, options: { 'deployment-deadline-seconds': '5' } });
    sim = new SimCluster(t, AGENTS);
    const resumed = await deployments();
    expect(resumed).toHaveLength(1);
    await t.scheduler.subscribed(t.context.driver as SchedulerDriver, { frameworkId: 'framework-1', epoch: 1, reconnected: false });
    const asked = t.driver.callsOf('RECONCILE').flatMap((c) => c.tasks.map((x) => x.taskId));
    expect(asked.sort()).toEqual([...running].sort());
    const before = await app('/keep');
    expect(before.tasks.map((x: { state: string }) => x.state)).toEqual(['TASK_UNKNOWN', 'TASK_UNKNOWN']);
    for (const taskId of running) t.update({ taskId, frameworkId: 'framework-1', agentId: 'agent-1', state: 'RUNNING', timestamp: clock.now(), source: 'SOURCE_MASTER', reason: 'REASON_RECONCILIATION' });
    t.converge();
    expect((await app('/keep')).tasksRunning).toBe(2);
    for (let round = 0; round < 10 && (await deployments()).length > 0; round++) {
      for (const taskId of running) if (t.driver.callsOf('KILL').some((k) => k.taskId === taskId)) t.update({ taskId, frameworkId: 'framework-1', agentId: 'agent-1', state: 'KILLED', timestamp: clock.now(), source: 'SOURCE_EXECUTOR' });
      await sim.round();
    }
    expect(await deployments()).toEqual([]);
    const done = await app('/keep');
    expect(done).toMatchObject({ cmd: 'b', tasksRunning: 2 });
    expect(done.tasks.map((x: { id: string }) => x.id)).not.toContain(running[0]!.replaceAll(':', '.'));
  });
});
