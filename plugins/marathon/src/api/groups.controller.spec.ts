import { MarathonTestApp } from '../testing/marathon-test-app';

describe('/v2/groups', () => {
  let t: MarathonTestApp;
  const app = (id: string, extra: Record<string, unknown> = {}) => ({ id, cmd: 'sleep 1', cpus: 0.1, mem: 16, ...extra });

  beforeEach(async () => {
    t = await MarathonTestApp.start();
  });

  afterEach(async () => {
    await t.close();
  });

  it('creates a nested group in one deployment, with relative ids and dependency order', async () => {
    const body = { id: '/prod', apps: [app('db'), app('web', { dependencies: ['db'] })], groups: [{ id: 'jobs', apps: [app('cron')] }] };
    const res = await t.request('POST', '/v2/groups', body);
    expect(res.status).toBe(201);
    expect(res.headers.get('marathon-deployment-id')).toBe(res.json.deploymentId);
    const deployments = (await t.request('GET', '/v2/deployments')).json;
    expect(deployments).toHaveLength(1);
    expect(deployments[0].affectedApps).toEqual(['/prod/db', '/prod/jobs/cron', '/prod/web']);
    const steps = deployments[0].steps.map((s: { actions: Array<{ action: string; app: string }> }) => s.actions.map((a) => `${a.action} ${a.app}`));
    expect(steps).toEqual([
      ['StartApplication /prod/db', 'StartApplication /prod/jobs/cron', 'StartApplication /prod/web'],
      ['ScaleApplication /prod/db', 'ScaleApplication /prod/jobs/cron'],
      ['ScaleApplication /prod/web'],
    ]);
    const group = (await t.request('GET', '/v2/groups/prod')).json;
    expect(group).toMatchObject({ id: '/prod', apps: [{ id: '/prod/db' }, { id: '/prod/web' }], groups: [{ id: '/prod/jobs', apps: [{ id: '/prod/jobs/cron' }] }] });
    expect((await t.request('GET', '/v2/groups?embed=group.groups')).json).not.toHaveProperty('apps');
    expect((await t.request('POST', '/v2/groups', body)).status).toBe(409);
    expect((await t.request('GET', '/v2/groups/nope')).status).toBe(404);
  });

  it('PUT replaces what it lists, scales with scaleBy, DELETE removes everything under it', async () => {
    await t.request('POST', '/v2/groups', { id: '/g', apps: [app('a'), app('b', { instances: 2 })] });
    const put = await t.request('PUT', '/v2/groups/g?force=true', { apps: [app('a', { cmd: 'sleep 2' }), app('c')] });
    expect(put.status).toBe(200);
    const ids = (await t.request('GET', '/v2/apps')).json.apps.map((a: { id: string }) => a.id);
    expect(ids).toEqual(['/g/a', '/g/c']);
    const scaled = await t.request('PUT', '/v2/groups/g?force=true', { scaleBy: 3 });
    expect(scaled.status).toBe(200);
    expect((await t.request('GET', '/v2/apps/g/a')).json.app.instances).toBe(3);
    const bad = await t.request('PUT', '/v2/groups/g?force=true', { apps: [{ id: 'x', cpus: -1, cmd: 'true' }] });
    expect(bad.status).toBe(422);
    expect(bad.json.details[0].path).toBe('/apps(0)/cpus');
    const removed = await t.request('DELETE', '/v2/groups/g?force=true');
    expect(removed.status).toBe(200);
    expect((await t.request('GET', '/v2/apps')).json.apps).toEqual([]);
  });
});
