import { FakeClock } from '@pando/testing';
import { JobAdmin } from './job-admin.service';
import { JobStore } from './job-store.service';
import { JobViews } from './job-views.service';
import { parseAttemptTaskId, parseRunId } from './run-planner';
import { advance, flush, startChronosTestApp, type ChronosTestApp } from './testing/chronos-test-app';
import { FakeMaster } from './testing/fake-master';
import { MemoryPluginStore } from './testing/memory-plugin-store';

const T0 = Date.UTC(2026, 0, 1);

describe('chronos scheduler (in process, fake master and clock)', () => {
  let clock: FakeClock;
  let master: FakeMaster;
  let apps: ChronosTestApp[];

  beforeEach(() => {
    clock = new FakeClock(T0);
    master = new FakeMaster(clock);
    master.addAgents(3);
    apps = [];
  });

  afterEach(async () => {
    for (const app of apps) await app.close();
  });

  const start = async (store?: MemoryPluginStore, options?: Record<string, string>): Promise<ChronosTestApp> => {
    const app = await startChronosTestApp({ clock, master, store, options });
    apps.push(app);
    return app;
  };
  const admin = (app: ChronosTestApp) => app.app.get(JobAdmin);
  const job = (app: ChronosTestApp, name: string) => app.app.get(JobStore).get(name)!.job;
  /** Launches per scheduled instant, by job name. */
  const launchesOf = (name: string) =>
    master.launches
      .map((l) => ({ ...l, ...parseRunId(parseAttemptTaskId(l.taskId)!.runId) }))
      .filter((l) => l.jobName === name);

  it('runs a job every 2 s once per instant, launching at the instant', async () => {
    const app = await start();
    await admin(app).upsert({ name: 'every two', command: 'true', schedule: 'R/2026-01-01T00:00:02Z/PT2S' }, 'scheduled');
    await advance(clock, 20_500);
    const launches = launchesOf('every two');
    expect(launches.map((l) => l.instantMs - T0)).toEqual([2000, 4000, 6000, 8000, 10_000, 12_000, 14_000, 16_000, 18_000, 20_000]);
    for (const l of launches) expect(l.atMs - l.instantMs).toBeLessThanOrEqual(10);
    expect(job(app, 'every two')).toMatchObject({ successCount: 10, errorCount: 0, skippedCount: 0 });
  });

  it('retries a failing job with backoff, then counts one error; other jobs run on', async () => {
    master.script = (spec) =>
      spec.name === 'broken'
        ? [
            { afterMs: 0, state: 'RUNNING' },
            { afterMs: 50, state: 'FAILED', exitCode: 3, message: 'exited with 3' },
          ]
        : [
            { afterMs: 0, state: 'RUNNING' },
            { afterMs: 50, state: 'FINISHED', exitCode: 0 },
          ];
    const app = await start();
    await admin(app).upsert({ name: 'broken', command: 'exit 3', schedule: 'R1/2026-01-01T00:00:01Z/PT10S', retries: 2 }, 'scheduled');
    await admin(app).upsert({ name: 'fine', command: 'true', schedule: 'R/2026-01-01T00:00:01Z/PT1S' }, 'scheduled');
    await advance(clock, 8000);
    const attempts = launchesOf('broken');
    // Attempt 0 at 1 s, retry 1 after 1 s, retry 2 after 2 s more (retryBaseMs 1000, doubling).
    expect(attempts.map((a) => a.taskId.slice(-2))).toEqual([':0', ':1', ':2']);
    expect(attempts.map((a) => Math.round((a.atMs - T0) / 100) * 100)).toEqual([1000, 2100, 4100]);
    expect(job(app, 'broken')).toMatchObject({ successCount: 0, errorCount: 1, errorsSinceLastSuccess: 1 });
    expect(job(app, 'fine').successCount).toBe(7);
    const { runs } = await app.app.get(JobViews).runsOf('broken');
    expect(runs[0]).toMatchObject({ state: 'failed', attempt: 2, attempts: 3, exitCode: 3 });
  });

  it('runs a dependency chain A -> B -> C in order, each after its parent succeeded', async () => {
    const app = await start();
    await admin(app).upsert({ name: 'A', command: 'true', schedule: 'R2/2026-01-01T00:00:01Z/PT5S' }, 'scheduled');
    await admin(app).upsert({ name: 'B', command: 'true', parents: ['A'] }, 'dependent');
    await admin(app).upsert({ name: 'C', command: 'true', parents: ['B'] }, 'dependent');
    await advance(clock, 9000);
    const order = master.launches.map((l) => parseRunId(parseAttemptTaskId(l.taskId)!.runId).jobName);
    expect(order).toEqual(['A', 'B', 'C', 'A', 'B', 'C']);
    expect([job(app, 'A'), job(app, 'B'), job(app, 'C')].map((j) => j.successCount)).toEqual([2, 2, 2]);
  });

  it('runs a job by hand with arguments', async () => {
    const app = await start();
    await admin(app).upsert({ name: 'by hand', command: 'echo', schedule: 'R1/2030-01-01T00:00:00Z/P1D' }, 'scheduled');
    const run = await admin(app).runNow('by hand', ['a b', 'c']);
    await advance(clock, 500);
    expect(parseRunId(run.runId).manual).toBe(true);
    const task = master.tasks.get(`${run.runId}:0`)!;
    expect(task.spec.command).toMatchObject({ value: "echo 'a b' c", shell: true });
    expect(job(app, 'by hand').successCount).toBe(1);
  });

  it('skips an instant while the previous run is going (Forbid) and records it', async () => {
    master.script = () => [
      { afterMs: 0, state: 'RUNNING' },
      { afterMs: 2500, state: 'FINISHED', exitCode: 0 },
    ];
    const app = await start();
    await admin(app).upsert({ name: 'slow', command: 'sleep 2.5', schedule: 'R/2026-01-01T00:00:01Z/PT1S', concurrencyPolicy: 'Forbid' }, 'scheduled');
    await advance(clock, 6200);
    const started = launchesOf('slow').map((l) => l.instantMs - T0);
    expect(started).toEqual([1000, 4000]);
    const stored = job(app, 'slow');
    expect(stored.skippedCount).toBe(4);
    const { runs } = await app.app.get(JobViews).runsOf('slow');
    expect(runs.filter((r) => r.state === 'skipped').map((r) => [r.scheduledAt.slice(17, 19), r.skipReason])).toEqual([
      ['06', 'overlap'],
      ['05', 'overlap'],
      ['03', 'overlap'],
      ['02', 'overlap'],
    ]);
  });

  it('kills a run past maxCompletionTime and does not retry it', async () => {
    master.script = () => [{ afterMs: 0, state: 'RUNNING' }];
    const app = await start();
    await admin(app).upsert({ name: 'hangs', command: 'sleep 1000', schedule: 'R1/2026-01-01T00:00:01Z/PT1M', maxCompletionTime: 'PT2S' }, 'scheduled');
    await advance(clock, 6000);
    expect(launchesOf('hangs')).toHaveLength(1);
    const { runs } = await app.app.get(JobViews).runsOf('hangs');
    expect(runs[0]).toMatchObject({ state: 'failed', killReason: 'timed-out' });
    expect(job(app, 'hangs').errorCount).toBe(1);
  });

  it('replaces a running run under Replace', async () => {
    master.script = () => [{ afterMs: 0, state: 'RUNNING' }];
    const app = await start();
    await admin(app).upsert({ name: 'newest wins', command: 'sleep 1000', schedule: 'R3/2026-01-01T00:00:01Z/PT1S', concurrencyPolicy: 'Replace' }, 'scheduled');
    await advance(clock, 3500);
    const tasks = launchesOf('newest wins').map((l) => master.tasks.get(l.taskId)!.state);
    expect(tasks).toEqual(['KILLED', 'KILLED', 'RUNNING']);
  });

  it('resumes after a host restart without skipping or doubling an instant', async () => {
    const first = await start();
    await admin(first).upsert({ name: 'steady', command: 'true', schedule: 'R/2026-01-01T00:00:02Z/PT2S' }, 'scheduled');
    await advance(clock, 7000);
    await first.close();
    apps = [];
    await advance(clock, 1500); // down across the 8 s instant
    const second = await start(first.store);
    await advance(clock, 12_000);
    const instants = launchesOf('steady').map((l) => l.instantMs - T0);
    expect(instants).toEqual([2000, 4000, 6000, 8000, 10_000, 12_000, 14_000, 16_000, 18_000, 20_000]);
    expect(new Set(instants).size).toBe(instants.length);
    expect(job(second, 'steady')).toMatchObject({ successCount: 10, skippedCount: 0 });
  });

  it('after a downtime longer than the period, runs every missed instant within epsilon late, one after another (Forbid)', async () => {
    master.script = () => [
      { afterMs: 0, state: 'RUNNING' },
      { afterMs: 300, state: 'FINISHED', exitCode: 0 },
    ];
    const first = await start();
    await admin(first).upsert({ name: 'catching up', command: 'sleep 0.3', schedule: 'R/2026-01-01T00:00:02Z/PT2S' }, 'scheduled');
    await advance(clock, 4500);
    await first.close();
    apps = [];
    await advance(clock, 5000); // 6, 8 and 9.5 s: 6 s was recorded ahead, 8 s was not
    const second = await start(first.store);
    await advance(clock, 3000);
    const launches = launchesOf('catching up');
    expect(launches.map((l) => l.instantMs - T0)).toEqual([2000, 4000, 6000, 8000, 10_000, 12_000]);
    // 6 s and 8 s started late, one after the other; 10 s and 12 s on time.
    const at = (instant: number) => launches.find((l) => l.instantMs - T0 === instant)!.atMs - T0;
    expect(at(8000)).toBeGreaterThanOrEqual(at(6000) + 300);
    expect(at(12_000) - 12_000).toBeLessThan(20);
    expect(job(second, 'catching up')).toMatchObject({ successCount: 6, skippedCount: 0 });
  });

  it('with catchUp latest, a downtime is caught up with one run; the others are recorded as superseded', async () => {
    const first = await start(undefined, { catchUp: 'latest' });
    await admin(first).upsert({ name: 'latest only', command: 'true', schedule: 'R/2026-01-01T00:00:02Z/PT2S' }, 'scheduled');
    await advance(clock, 4500);
    await first.close();
    apps = [];
    await advance(clock, 5000);
    const second = await start(first.store, { catchUp: 'latest' });
    await advance(clock, 1000);
    expect(launchesOf('latest only').map((l) => l.instantMs - T0)).toEqual([2000, 4000, 8000, 10_000]);
    expect(job(second, 'latest only')).toMatchObject({ successCount: 4, skippedCount: 1 });
  });

  it('records instants missed beyond epsilon as skipped, never silently', async () => {
    const first = await start();
    await admin(first).upsert({ name: 'strict', command: 'true', schedule: 'R/2026-01-01T00:00:02Z/PT2S', epsilon: 'PT1S' }, 'scheduled');
    await advance(clock, 4500);
    await first.close();
    apps = [];
    await advance(clock, 6000); // 6 and 8 s pass while down, 10 s is 0.5 s old at the restart
    const second = await start(first.store);
    await advance(clock, 2000);
    // 10 s is within epsilon: it starts late; 6 s (recorded ahead before the stop) and 8 s are not.
    expect(launchesOf('strict').map((l) => l.instantMs - T0)).toEqual([2000, 4000, 10_000, 12_000]);
    const stored = job(second, 'strict');
    expect(stored).toMatchObject({ successCount: 4, skippedCount: 2 });
    const { runs } = await second.app.get(JobViews).runsOf('strict');
    expect(runs.filter((r) => r.state === 'skipped').map((r) => [r.scheduledAt.slice(11, 19), r.skipReason])).toEqual([
      ['00:00:08', 'missed'],
      ['00:00:06', 'missed'],
    ]);
  });

  it('while the master is unreachable: a run within epsilon starts late, one beyond is recorded as skipped', async () => {
    const app = await start();
    await admin(app).upsert({ name: 'patient', command: 'true', schedule: 'R/2026-01-01T00:00:02Z/PT10S', epsilon: 'PT3S' }, 'scheduled');
    await admin(app).upsert({ name: 'strict', command: 'true', schedule: 'R/2026-01-01T00:00:02Z/PT10S', epsilon: 'PT1S' }, 'scheduled');
    await advance(clock, 1000);
    master.available = false;
    await advance(clock, 3000); // the 2 s instants pass with no master
    master.available = true;
    await master.subscribe(true);
    await advance(clock, 1000);
    const late = launchesOf('patient');
    expect(late.map((l) => l.instantMs - T0)).toEqual([2000]);
    expect(late[0]!.atMs - T0).toBeGreaterThanOrEqual(4000);
    expect(late[0]!.atMs - T0).toBeLessThan(4100);
    expect(launchesOf('strict')).toEqual([]);
    expect(job(app, 'strict')).toMatchObject({ skippedCount: 1, successCount: 0 });
    expect(job(app, 'patient')).toMatchObject({ skippedCount: 0, successCount: 1 });
  });

  it('re-attaches a run that was running when the host went away, instead of launching it again', async () => {
    master.script = () => [
      { afterMs: 0, state: 'RUNNING' },
      { afterMs: 3000, state: 'FINISHED', exitCode: 0 },
    ];
    const first = await start();
    await admin(first).upsert({ name: 'long', command: 'sleep 3', schedule: 'R1/2026-01-01T00:00:01Z/PT1M' }, 'scheduled');
    await advance(clock, 1500);
    await first.close();
    apps = [];
    const second = await start(first.store);
    await advance(clock, 4000);
    expect(launchesOf('long')).toHaveLength(1);
    expect(job(second, 'long')).toMatchObject({ successCount: 1, errorCount: 0 });
  });

  it('launches a run recorded just before a crash exactly once (record written, job not yet)', async () => {
    const first = await start();
    await admin(first).upsert({ name: 'edge', command: 'true', schedule: 'R/2026-01-01T00:00:05Z/PT5S' }, 'scheduled');
    await advance(clock, 2000);
    // The planner records the 5 s run at 3 s; the job write fails as if the host died in between.
    const store = first.store;
    const realUpdate = store.update.bind(store);
    store.update = async () => {
      throw new Error('host died');
    };
    await advance(clock, 1200);
    await first.close();
    apps = [];
    store.update = realUpdate;
    const second = await start(store);
    await advance(clock, 4000);
    expect(launchesOf('edge').map((l) => l.instantMs - T0)).toEqual([5000]);
    expect(job(second, 'edge').successCount).toBe(1);
  });

  it('two leaders at once (a failover overlap) neither double nor lose an instant', async () => {
    const a = await start();
    await admin(a).upsert({ name: 'contended', command: 'true', schedule: 'R/2026-01-01T00:00:01Z/PT1S' }, 'scheduled');
    // A second app on the same bucket takes the master over; the first one keeps running a while,
    // planning runs it cannot launch, as an old leader does until its lease runs out.
    const b = await startChronosTestApp({ clock, master, store: new MemoryPluginStore(a.store.data) });
    apps.push(b);
    await advance(clock, 5000);
    await a.close();
    apps = apps.filter((app) => app !== a);
    await advance(clock, 8000);
    const instants = launchesOf('contended').map((l) => l.instantMs);
    expect(new Set(instants).size).toBe(instants.length);
    const stored = job(b, 'contended');
    // Every instant from 1 s to 12 s is accounted for once (13 s is running): each ran, once.
    expect(stored.successCount + stored.skippedCount).toBe(12);
    expect(instants.map((i) => i - T0)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13].map((s) => s * 1000));
    const { runs } = await b.app.get(JobViews).runsOf('contended');
    expect(runs.filter((r) => r.state === 'succeeded')).toHaveLength(12);
  });
});
