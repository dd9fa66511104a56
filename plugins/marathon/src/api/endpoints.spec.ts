import { FakeClock } from '@pando/testing';
import { MarathonTestApp } from '../testing/marathon-test-app';
import { SimCluster } from '../testing/sim-cluster';

describe('Marathon endpoints', () => {
  let clock: FakeClock;
  let t: MarathonTestApp;
  let sim: SimCluster;

  beforeEach(async () => {
    clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    t = await MarathonTestApp.start({ clock });
    sim = new SimCluster(t, [{ agentId: 'agent-1', hostname: 'host-1' }]);
    await t.request('POST', '/v2/apps', { id: '/svc', cmd: 'sleep 1', cpus: 0.1, mem: 16, instances: 3, labels: { team: 'a' } });
    await sim.round();
  });

  afterEach(async () => {
    await t.close();
  });

  it('lists tasks, kills them (replaced) and kills with scale (a deployment)', async () => {
    const tasks = (await t.request('GET', '/v2/tasks')).json.tasks;
    expect(tasks).toHaveLength(3);
    expect(tasks[0]).toMatchObject({ appId: '/svc', host: 'host-1', slaveId: 'agent-1', state: 'TASK_RUNNING' });
    expect(Object.keys(tasks[0]).sort()).toEqual(['appId', 'healthCheckResults', 'host', 'id', 'ipAddresses', 'ports', 'servicePorts', 'slaveId', 'stagedAt', 'startedAt', 'state', 'version']);
    expect((await t.request('GET', '/v2/tasks?status=staging')).json.tasks).toEqual([]);
    const killed = await t.request('POST', '/v2/tasks/delete', { ids: [tasks[0].id] });
    expect(killed.json.tasks.map((x: { id: string }) => x.id)).toEqual([tasks[0].id]);
    const scaled = await t.request('POST', '/v2/tasks/delete?scale=true', { ids: [tasks[1].id] });
    expect(scaled.json).toEqual({ deploymentId: expect.any(String), version: expect.any(String) });
    expect((await t.request('GET', '/v2/apps/svc')).json.app.instances).toBe(2);
    expect(t.driver.callsOf('KILL').map((k) => k.taskId.replaceAll(':', '.'))).toEqual([tasks[0].id, tasks[1].id]);
    expect((await t.request('DELETE', '/v2/apps/svc/tasks/nope.1')).status).toBe(404);
  });

  it('keeps versions and rolls back with a version-only PUT', async () => {
    const v1 = (await t.request('GET', '/v2/apps/svc')).json.app.version;
    clock.advance(1000);
    await t.request('PUT', '/v2/apps/svc?force=true', { cmd: 'sleep 2' });
    const versions = (await t.request('GET', '/v2/apps/svc/versions')).json.versions;
    expect(versions).toHaveLength(2);
    expect(versions[1]).toBe(v1);
    expect((await t.request('GET', `/v2/apps/svc/versions/${v1}`)).json.cmd).toBe('sleep 1');
    clock.advance(1000);
    const back = await t.request('PUT', '/v2/apps/svc?force=true', { version: v1 });
    expect(back.status).toBe(200);
    expect((await t.request('GET', '/v2/apps/svc')).json.app.cmd).toBe('sleep 1');
    expect((await t.request('PUT', '/v2/apps/svc?force=true', { version: '2000-01-01T00:00:00.000Z' })).status).toBe(404);
  });

  it('updates several apps at once, PATCHes, restarts and deletes', async () => {
    const bulk = await t.request('PUT', '/v2/apps?force=true', [{ id: '/svc', instances: 1 }, { id: '/other', cmd: 'sleep 5', cpus: 0.1, mem: 16 }]);
    expect(bulk.status).toBe(200);
    expect((await t.request('GET', '/v2/apps?id=other')).json.apps.map((a: { id: string }) => a.id)).toEqual(['/other']);
    expect((await t.request('GET', '/v2/apps?cmd=sleep 5')).json.apps).toHaveLength(1);
    expect((await t.request('GET', '/v2/apps?label=team==a')).json.apps.map((a: { id: string }) => a.id)).toEqual(['/svc']);
    const badBulk = await t.request('PUT', '/v2/apps?force=true', [{ id: '/svc', cpus: -2 }, { cmd: 'x' }]);
    expect(badBulk.status).toBe(422);
    expect(badBulk.json.details.map((d: { path: string }) => d.path)).toEqual(['(0)/cpus', '(1)/id']);
    const patch = await t.request('PATCH', '/v2/apps/other?force=true', { env: { A: 'b' } });
    expect(patch.status).toBe(200);
    expect((await t.request('GET', '/v2/apps/other')).json.app).toMatchObject({ cmd: 'sleep 5', env: { A: 'b' } });
    expect((await t.request('POST', '/v2/apps/other/restart?force=true')).status).toBe(200);
    const deleted = await t.request('DELETE', '/v2/apps/other?force=true');
    expect(deleted.json).toEqual({ deploymentId: expect.any(String), version: expect.any(String) });
    expect((await t.request('GET', '/v2/apps/other')).status).toBe(404);
  });

  it('serves the queue and resets a delay', async () => {
    const [task] = (await t.request('GET', '/v2/apps/svc')).json.app.tasks;
    sim.report(task.id.replaceAll('.', ':'), 'FAILED', { message: 'boom' });
    t.converge();
    const queue = (await t.request('GET', '/v2/queue')).json.queue;
    expect(queue).toHaveLength(1);
    expect(Object.keys(queue[0]).sort()).toEqual(['app', 'count', 'delay', 'processedOffersSummary', 'since']);
    expect(queue[0].delay.overdue).toBe(false);
    const reset = await t.request('DELETE', '/v2/queue/svc/delay');
    expect(reset.status).toBe(204);
    t.converge();
    expect((await t.request('GET', '/v2/queue')).json.queue[0].delay.overdue).toBe(true);
    expect((await t.request('DELETE', '/v2/queue/nope/delay')).status).toBe(404);
  });

  it('serves info, leader, ping, metrics and refuses non-JSON bodies', async () => {
    const info = (await t.request('GET', '/v2/info')).json;
    expect(info).toMatchObject({ name: 'marathon', version: '1.10.0', frameworkId: 'framework-1', elected: true, http_config: { http_port: expect.any(Number) } });
    expect((await t.request('GET', '/v2/leader')).json).toEqual({ leader: new URL(t.url).host });
    const ping = await t.request('GET', '/ping');
    expect(ping.text).toBe('pong');
    expect(ping.headers.get('content-type')).toMatch(/^text\/plain/);
    const metrics = (await t.request('GET', '/metrics')).json;
    expect(metrics.gauges['marathon.instances.running.gauge'].value).toBe(3);
    const form = await t.request('POST', '/v2/apps', 'id=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
  });

  it('streams events as SSE with the event_type filter', async () => {
    const controller = new AbortController();
    const res = await fetch(`${t.url}/v2/events?event_type=deployment_info&event_type=api_post_event`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    await t.request('PUT', '/v2/apps/svc?force=true', { instances: 4 });
    let text = '';
    while (!text.includes('event: deployment_info')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(text).toContain('event: api_post_event');
    expect(text).not.toContain('event: event_stream_attached');
    const data = JSON.parse(/event: deployment_info\ndata: (.*)\n/.exec(text)![1]!);
    expect(data).toMatchObject({ eventType: 'deployment_info', plan: { id: expect.any(String) }, currentStep: { actions: expect.any(Array) } });
  });
});
