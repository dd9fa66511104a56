import { waitFor } from '@pando/testing';
import { fixture, MarathonCluster } from './marathon-cluster.fixture';

/** The /v2 API against a real cluster: apps, scaling, tasks, constraints, groups, errors. */
describe('marathon /v2/apps', () => {
  let mc: MarathonCluster;

  beforeAll(async () => {
    mc = await MarathonCluster.start({ agents: [{ hostname: 'localhost' }, { hostname: '127.0.0.1' }] });
  });

  afterAll(async () => {
    await mc?.stop();
  });

  it('runs a posted Marathon app JSON with Marathon environment and labels', async () => {
    const res = await mc.request('POST', '/v2/apps', fixture('sleep-app.json'));
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/v2/apps/e2e/sleeper');
    expect(res.headers.get('marathon-deployment-id')).toBeTruthy();
    expect(res.json).toMatchObject({ id: '/e2e/sleeper', instances: 2, labels: { team: 'e2e' }, env: { GREETING: 'hello' } });
    const app = await mc.waitForApp('/e2e/sleeper', 2);
    expect(app.tasks[0]).toMatchObject({ appId: '/e2e/sleeper', state: 'TASK_RUNNING', ports: [expect.any(Number)] });
    expect(app.tasks[0].id).toMatch(/^e2e_sleeper\.[0-9a-f-]{36}$/);
    expect(app.portDefinitions[0].port).toBeGreaterThanOrEqual(10000);
    const list = await mc.request('GET', '/v2/apps?label=team==e2e&embed=apps.tasks');
    expect(list.json.apps.map((a: { id: string }) => a.id)).toEqual(['/e2e/sleeper']);
    expect(list.json.apps[0].tasks).toHaveLength(2);
    expect((await mc.request('GET', '/v2/apps?label=team==other')).json.apps).toEqual([]);
    const tasks = await mc.request('GET', '/v2/tasks?status=running');
    expect(tasks.json.tasks.filter((t: { appId: string }) => t.appId === '/e2e/sleeper')).toHaveLength(2);
  });

  it('refuses bad requests with Marathon statuses and changes nothing', async () => {
    const invalid = await mc.request('POST', '/v2/apps', { id: '/Bad_Id', cpus: -1, instances: 'two', cmd: 'x' });
    expect(invalid.status).toBe(422);
    expect(invalid.json.message).toBe('Object is not valid');
    expect(invalid.json.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['/id', '/cpus', '/instances']));
    const malformed = await mc.request('POST', '/v2/apps', '{"id": "/x"');
    expect(malformed.status).toBe(400);
    expect(malformed.json.message).toBe('Invalid JSON');
    expect((await mc.request('GET', '/v2/apps/nope')).status).toBe(404);
    expect((await mc.request('DELETE', '/v2/apps/nope')).status).toBe(404);
    const dup = await mc.request('POST', '/v2/apps', fixture('sleep-app.json'));
    expect(dup.status).toBe(409);
    const ids = (await mc.request('GET', '/v2/apps')).json.apps.map((a: { id: string }) => a.id);
    expect(ids).toEqual(['/e2e/sleeper']);
  });

  it('scales 2 -> 5 -> 1', async () => {
    const up = await mc.request('PUT', '/v2/apps/e2e/sleeper', { instances: 5 });
    expect(up.status).toBe(200);
    expect(up.json).toEqual({ deploymentId: up.headers.get('marathon-deployment-id'), version: expect.any(String) });
    await mc.waitForApp('/e2e/sleeper', 5);
    const down = await mc.request('PATCH', '/v2/apps/e2e/sleeper', { instances: 1 });
    expect(down.status).toBe(200);
    const app = await mc.waitForApp('/e2e/sleeper', 1);
    expect(app.instances).toBe(1);
    const versions = (await mc.request('GET', '/v2/apps/e2e/sleeper/versions')).json.versions as string[];
    expect(versions).toHaveLength(3);
    const first = await mc.request('GET', `/v2/apps/e2e/sleeper/versions/${versions[2]}`);
    expect(first.json).toMatchObject({ id: '/e2e/sleeper', instances: 2 });
  });

  it('replaces a killed task, and scales down with DELETE ...?scale=true', async () => {
    await mc.request('PUT', '/v2/apps/e2e/sleeper', { instances: 2 });
    const before = await mc.waitForApp('/e2e/sleeper', 2);
    const victim = before.tasks[0].id as string;
    const killed = await mc.request('DELETE', `/v2/apps/e2e/sleeper/tasks/${victim}`);
    expect(killed.status).toBe(200);
    expect(killed.json.task.id).toBe(victim);
    const replaced = await waitFor(
      async () => {
        const app = await mc.app('/e2e/sleeper');
        const ids = app.tasks.map((t: { id: string }) => t.id);
        return app.tasksRunning === 2 && !ids.includes(victim) ? app : undefined;
      },
      'the killed task to be replaced',
      30_000,
      200,
    );
    const scaled = await mc.request('DELETE', `/v2/apps/e2e/sleeper/tasks/${replaced.tasks[0].id}?scale=true`);
    expect(scaled.status).toBe(200);
    expect(scaled.json.deploymentId).toBeTruthy();
    const app = await mc.waitForApp('/e2e/sleeper', 1);
    expect(app.instances).toBe(1);
  });

  it('spreads UNIQUE hostname over both agents and queues what cannot be placed', async () => {
    const res = await mc.request('POST', '/v2/apps', { id: '/unique', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 3, constraints: [['hostname', 'UNIQUE']] });
    expect(res.status).toBe(201);
    const app = await waitFor(async () => {
      const a = await mc.app('/unique');
      return a?.tasksRunning === 2 ? a : undefined;
    }, 'two unique tasks');
    expect(new Set(app.tasks.map((t: { host: string }) => t.host))).toEqual(new Set(['localhost', '127.0.0.1']));
    const queued = await waitFor(async () => {
      const queue = (await mc.request('GET', '/v2/queue')).json.queue as any[];
      const item = queue.find((q) => q.app.id === '/unique');
      return item?.processedOffersSummary.unusedOffersCount > 0 ? item : undefined;
    }, 'the third instance in the queue with offer statistics');
    expect(queued.count).toBe(1);
    expect(queued.processedOffersSummary.rejectSummaryLastOffers).toContainEqual(expect.objectContaining({ reason: 'UnfulfilledConstraint', declined: expect.any(Number) }));
    const deployments = (await mc.request('GET', '/v2/deployments')).json as any[];
    expect(deployments.find((d) => d.affectedApps.includes('/unique'))).toBeDefined();
    const deleted = await mc.request('DELETE', '/v2/apps/unique?force=true');
    expect(deleted.status).toBe(200);
    await waitFor(async () => (await mc.request('GET', '/v2/tasks')).json.tasks.every((t: { appId: string }) => t.appId !== '/unique'), '/unique gone');
  });

  it('creates, reads and deletes nested groups', async () => {
    const created = await mc.request('POST', '/v2/groups', fixture('web-group.json'));
    expect(created.status).toBe(201);
    expect(created.json).toEqual({ deploymentId: expect.any(String), version: expect.any(String) });
    await mc.waitForApp('/shop/web', 1);
    await mc.waitForApp('/shop/tools/cron', 1);
    const group = (await mc.request('GET', '/v2/groups/shop')).json;
    expect(group.id).toBe('/shop');
    expect(group.apps.map((a: { id: string }) => a.id)).toEqual(['/shop/db', '/shop/web']);
    expect(group.groups.map((g: { id: string }) => g.id)).toEqual(['/shop/tools']);
    expect((await mc.request('GET', '/v2/groups/shop/tools')).json.apps[0].id).toBe('/shop/tools/cron');
    const root = (await mc.request('GET', '/v2/groups')).json;
    expect(root.id).toBe('/');
    expect((await mc.request('POST', '/v2/groups', fixture('web-group.json'))).status).toBe(409);
    const removed = await mc.request('DELETE', '/v2/groups/shop');
    expect(removed.status).toBe(200);
    await mc.waitForNoDeployments();
    expect((await mc.request('GET', '/v2/groups/shop')).status).toBe(404);
  });

  it('serves /v2/info, /v2/leader, /ping and /metrics', async () => {
    const info = (await mc.request('GET', '/v2/info')).json;
    expect(info).toMatchObject({ name: 'marathon', version: '1.10.0', elected: true, frameworkId: expect.any(String) });
    const leader = (await mc.request('GET', '/v2/leader')).json;
    expect(leader.leader).toBe(new URL(mc.url).host);
    expect((await mc.request('GET', '/ping')).text).toBe('pong');
    const metrics = (await mc.request('GET', '/metrics')).json;
    expect(metrics.gauges['marathon.apps.active.gauge'].value).toBeGreaterThanOrEqual(1);
  });
});
