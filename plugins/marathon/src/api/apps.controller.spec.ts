import { statusOf } from '../testing/fake-driver';
import { offer } from '../testing/marathon.fixtures';
import { MarathonTestApp } from '../testing/marathon-test-app';

describe('/v2/apps', () => {
  let t: MarathonTestApp;

  beforeEach(async () => {
    t = await MarathonTestApp.start();
  });

  afterEach(async () => {
    await t.close();
  });

  it('creates an app (201, Location, deployment header) and launches it on an offer', async () => {
    const res = await t.request('POST', '/v2/apps', { id: '/team/web', cmd: 'sleep 100', cpus: 0.1, mem: 32, instances: 2 });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/v2/apps/team/web');
    expect(res.headers.get('marathon-deployment-id')).toEqual(expect.any(String));
    expect(res.json).toMatchObject({ id: '/team/web', instances: 2, deployments: [{ id: res.headers.get('marathon-deployment-id') }] });

    await t.offers([offer()]);
    const launched = t.driver.launched();
    expect(launched).toHaveLength(2);
    expect(t.driver.callsOf('ACCEPT')).toHaveLength(1);
    for (const task of launched) t.update(statusOf(task, 'RUNNING'));
    t.converge();

    const list = await t.request('GET', '/v2/apps');
    expect(list.json.apps[0]).toMatchObject({ id: '/team/web', tasksRunning: 2, tasksStaged: 0, deployments: [] });
    const one = await t.request('GET', '/v2/apps/team/web');
    expect(one.json.app.tasks).toHaveLength(2);
    expect(one.json.app.tasks[0].id).toMatch(/^team_web\./);
  });

  it('answers 422 with every problem, 400 for malformed JSON, 404 for an unknown app', async () => {
    const bad = await t.request('POST', '/v2/apps', { id: '/x', cpus: -1, mem: 'lots' });
    expect(bad.status).toBe(422);
    expect(bad.json.message).toBe('Object is not valid');
    expect(bad.json.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['/cpus', '/mem']));
    const malformed = await t.request('POST', '/v2/apps', '{"id": "/x",');
    expect(malformed.status).toBe(400);
    expect(malformed.json.message).toBe('Invalid JSON');
    const missing = await t.request('GET', '/v2/apps/nope');
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ message: "App '/nope' does not exist" });
    expect((await t.request('GET', '/v2/apps')).json).toEqual({ apps: [] });
  });
});
