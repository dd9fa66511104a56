import { FakeClock } from '@pando/testing';
import { advance, startChronosTestApp, type ChronosTestApp } from './testing/chronos-test-app';
import { FakeMaster } from './testing/fake-master';

const T0 = Date.UTC(2026, 0, 1);

describe('Chronos HTTP API (in process)', () => {
  let clock: FakeClock;
  let master: FakeMaster;
  let app: ChronosTestApp;

  beforeEach(async () => {
    clock = new FakeClock(T0);
    master = new FakeMaster(clock);
    master.addAgents(2);
    app = await startChronosTestApp({ clock, master, http: true });
  });

  afterEach(async () => {
    await app.close();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    const json = (res.headers.get('content-type') ?? '').includes('json') && text ? (JSON.parse(text) as any) : undefined;
    return { status: res.status, text, json, headers: res.headers };
  };
  const name = (n: string) => encodeURIComponent(n);

  it('creates a job posted as Chronos posts it and returns it with defaults and nextRun, under both prefixes', async () => {
    const job = { name: 'nightly backup', command: 'backup.sh', schedule: 'R/2026-01-02T03:00:00Z/P1D', owner: 'ops@example.com', cpus: '0.5', mem: 256 };
    expect((await call('POST', '/v1/scheduler/iso8601', job)).status).toBe(204);
    for (const prefix of ['/v1/scheduler', '/scheduler']) {
      const res = await call('GET', `${prefix}/job/${name('nightly backup')}`);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ name: 'nightly backup', cpus: 0.5, mem: 256, retries: 2, epsilon: 'PT60S', successCount: 0, nextRun: '2026-01-02T03:00:00.000Z' });
    }
    const list = await call('GET', '/v1/scheduler/jobs');
    expect(list.json.map((j: any) => j.name)).toEqual(['nightly backup']);
  });

  it('refuses an invalid job with a 400 naming each field and problem, and stores nothing', async () => {
    const res = await call('POST', '/v1/scheduler/iso8601', { name: 'bad\tname', command: 'x', schedule: 'R/2026-01-01T00:00:00Z/PT0S', scheduleTimeZone: 'Mars/Olympus', epsilon: 'soon' });
    expect(res.status).toBe(400);
    expect(res.json.message).toMatch(/name: .*tab/);
    expect(res.json.details.join('\n')).toMatch(/scheduleTimeZone: 'Mars\/Olympus' is not a known IANA time zone/);
    expect(res.json.details.join('\n')).toMatch(/epsilon: /);
    expect(res.json.details.join('\n')).toMatch(/schedule: /);
    const cron = await call('POST', '/v1/scheduler/iso8601', { name: 'bad cron', command: 'x', cron: '61 * * * *' });
    expect(cron.status).toBe(400);
    expect(cron.json.message).toMatch(/cron: /);
    expect((await call('GET', '/v1/scheduler/jobs')).json).toEqual([]);
    expect(app.store.data.size).toBe(0);
  });

  it('refuses unknown parents and cycles with a 400, a USER network with a 400, malformed JSON with a 400', async () => {
    const orphan = await call('POST', '/v1/scheduler/dependency', { name: 'child', command: 'x', parents: ['nobody'] });
    expect(orphan.status).toBe(400);
    expect(orphan.json.message).toContain("unknown parent job 'nobody'");
    await call('POST', '/v1/scheduler/iso8601', { name: 'a', command: 'x', schedule: 'R/2026-01-02T00:00:00Z/P1D' });
    await call('POST', '/v1/scheduler/dependency', { name: 'b', command: 'x', parents: ['a'] });
    await call('POST', '/v1/scheduler/dependency', { name: 'c', command: 'x', parents: ['b'] });
    const cycle = await call('POST', '/v1/scheduler/dependency', { name: 'b', command: 'x', parents: ['c'] });
    expect(cycle.status).toBe(400);
    expect(cycle.json.message).toContain('b -> c -> b');
    const docker = await call('POST', '/v1/scheduler/iso8601', { name: 'in docker', command: '', schedule: 'R/2026-01-02T00:00:00Z/P1D', container: { type: 'DOCKER', image: 'busybox', network: 'USER' } });
    expect(docker.status).toBe(400);
    expect(docker.json.message).toContain('container.network: USER networks are not supported');
    const malformed = await call('POST', '/v1/scheduler/iso8601', '{"name": ');
    expect(malformed.status).toBe(400);
  });

  it('answers 404 for an unknown job on every per-job endpoint', async () => {
    for (const [method, path] of [
      ['GET', '/v1/scheduler/job/ghost'],
      ['PUT', '/v1/scheduler/job/ghost'],
      ['DELETE', '/v1/scheduler/job/ghost'],
      ['PUT', '/v1/scheduler/job/success/ghost'],
      ['DELETE', '/v1/scheduler/task/kill/ghost'],
      ['GET', '/v1/scheduler/job/stat/ghost'],
      ['GET', '/v1/scheduler/job/ghost/runs'],
    ] as const) {
      const res = await call(method, path);
      expect([method, path, res.status]).toEqual([method, path, 404]);
      expect(res.json.message).toBe("job 'ghost' not found");
    }
  });

  it('searches, summarises and draws the graph as Chronos does', async () => {
    await call('POST', '/v1/scheduler/iso8601', { name: 'etl extract', command: 'extract.py', schedule: 'R/2026-01-02T00:00:00Z/P1D', owner: 'data@example.com', description: 'pull rows' });
    await call('POST', '/v1/scheduler/dependency', { name: 'etl load', command: 'load.py', parents: ['etl extract'] });
    await call('POST', '/v1/scheduler/iso8601', { name: 'cleanup', command: 'rm -rf /tmp/x', cron: '0 4 * * *', scheduleTimeZone: 'Europe/Berlin' });
    expect((await call('GET', '/v1/scheduler/jobs/search?name=ETL')).json.map((j: any) => j.name)).toEqual(['etl extract', 'etl load']);
    expect((await call('GET', '/v1/scheduler/jobs/search?command=rm')).json.map((j: any) => j.name)).toEqual(['cleanup']);
    expect((await call('GET', '/v1/scheduler/jobs/search?any=rows')).json.map((j: any) => j.name)).toEqual(['etl extract']);
    const summary = await call('GET', '/v1/scheduler/jobs/summary');
    expect(summary.json.jobs).toContainEqual({ name: 'cleanup', status: 'fresh', state: 'idle', schedule: '0 4 * * *', parents: [], disabled: false });
    const csv = await call('GET', '/v1/scheduler/graph/csv');
    expect(csv.text).toBe('node,cleanup,fresh,idle\nnode,etl extract,fresh,idle\nnode,etl load,fresh,idle\nlink,etl extract,etl load\n');
    const dot = await call('GET', '/v1/scheduler/graph/dot');
    expect(dot.text).toContain('digraph G {');
    expect((await call('GET', '/v1/scheduler/leader')).json).toEqual({ leader: 'chronos.test:4400' });
    // The cron job's next run is 04:00 in Berlin (03:00 UTC in winter).
    expect((await call('GET', `/v1/scheduler/job/cleanup`)).json.nextRun).toBe('2026-01-01T03:00:00.000Z');
  });

  it('runs by hand, marks success (firing dependents), kills, and lists the runs', async () => {
    master.script = () => [{ afterMs: 0, state: 'RUNNING' }];
    await call('POST', '/v1/scheduler/iso8601', { name: 'parent', command: 'sleep 100', schedule: 'R/2030-01-01T00:00:00Z/P1D' });
    await call('POST', '/v1/scheduler/dependency', { name: 'child', command: 'true', parents: ['parent'] });
    const run = await call('PUT', '/v1/scheduler/job/parent?arguments=--fast%20--verbose');
    expect(run.status).toBe(204);
    await advance(clock, 200);
    const runs = await call('GET', '/v1/scheduler/job/parent/runs');
    expect(runs.json.runs[0]).toMatchObject({ runId: run.headers.get('x-chronos-run-id'), trigger: 'manual', state: 'running', arguments: ['--fast', '--verbose'] });
    expect((await call('GET', '/v1/scheduler/jobs/summary')).json.jobs.find((j: any) => j.name === 'parent').state).toBe('1 running');
    expect((await call('DELETE', '/v1/scheduler/task/kill/parent')).status).toBe(204);
    await advance(clock, 200);
    expect((await call('GET', '/v1/scheduler/job/parent/runs')).json.runs[0]).toMatchObject({ state: 'killed', killReason: 'user' });
    master.script = () => [
      { afterMs: 0, state: 'RUNNING' },
      { afterMs: 10, state: 'FINISHED', exitCode: 0 },
    ];
    clock.advance(5);
    expect((await call('PUT', '/v1/scheduler/job/success/parent')).status).toBe(204);
    await advance(clock, 300);
    expect((await call('GET', '/v1/scheduler/job/child')).json.successCount).toBe(1);
    expect((await call('GET', '/v1/scheduler/job/parent')).json.successCount).toBe(1);
    const stat = await call('GET', '/v1/scheduler/job/stat/child');
    expect(stat.json.histogram.count).toBe(1);
  });

  it('deleting a job hands its parents to its children; a scheduled parent of an only child is refused with 409', async () => {
    await call('POST', '/v1/scheduler/iso8601', { name: 'root', command: 'x', schedule: 'R/2026-01-02T00:00:00Z/P1D' });
    await call('POST', '/v1/scheduler/dependency', { name: 'mid', command: 'x', parents: ['root'] });
    await call('POST', '/v1/scheduler/dependency', { name: 'leaf', command: 'x', parents: ['mid'] });
    expect((await call('DELETE', '/v1/scheduler/job/root')).status).toBe(409);
    expect((await call('DELETE', '/v1/scheduler/job/mid')).status).toBe(204);
    expect((await call('GET', '/v1/scheduler/job/leaf')).json.parents).toEqual(['root']);
  });

  it('streams run events as SSE', async () => {
    const controller = new AbortController();
    const res = await fetch(`${app.url}/v1/scheduler/events`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    await call('POST', '/v1/scheduler/iso8601', { name: 'evented', command: 'true', schedule: 'R1/2026-01-01T00:00:01Z/PT1M' });
    await advance(clock, 1500);
    let text = '';
    while (!text.includes('event: run_succeeded')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(text).toContain('event: run_scheduled');
    expect(text).toContain('event: run_running');
    const succeeded = text.split('\n\n').find((chunk) => chunk.includes('event: run_succeeded'))!;
    const data = JSON.parse(succeeded.split('\n').find((l) => l.startsWith('data: '))!.slice(6));
    expect(data.run).toMatchObject({ job: 'evented', state: 'succeeded', scheduledAt: '2026-01-01T00:00:01.000Z' });
  });
});
