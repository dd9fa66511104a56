import { ChronosCluster, isoIn } from './chronos-cluster.fixture';

/** Instants (epoch ms) of a job's runs that started, oldest first. */
const startedInstants = (runs: any[]): number[] =>
  runs
    .filter((r) => r.state !== 'skipped')
    .map((r) => Date.parse(r.scheduledAt))
    .sort((a, b) => a - b);

describe('chronos schedules on a real cluster', () => {
  let cc: ChronosCluster;

  beforeAll(async () => {
    cc = await ChronosCluster.start();
  });

  afterAll(async () => {
    await cc?.stop();
  });

  it('runs a job every 2 s the expected number of times, each instant once, near its instant', async () => {
    const start = isoIn(2000);
    await cc.post({ name: 'every two seconds', command: 'echo tick', schedule: `R5/${start}/PT2S`, owner: 'e2e@example.com', cpus: 0.1, mem: 32 });
    const job = await cc.waitForJob('every two seconds', (j) => j.successCount === 5, '5 successful runs', 30_000);
    expect(job).toMatchObject({ errorCount: 0, skippedCount: 0, nextRun: null });
    const runs = await cc.runs('every two seconds');
    const instants = startedInstants(runs);
    const first = Date.parse(start);
    expect(instants).toEqual([0, 2000, 4000, 6000, 8000].map((d) => first + d));
    for (const run of runs) {
      expect(run.state).toBe('succeeded');
      expect(run.exitCode).toBe(0);
      // Started (RUNNING, the agent's clock) soon after its instant.
      expect(Date.parse(run.startedAt) - Date.parse(run.scheduledAt)).toBeLessThan(1500);
    }
    // The master saw exactly one task per run.
    const tasks = (await cc.masterTasks()).filter((t) => t.name === 'every two seconds');
    expect(tasks).toHaveLength(5);
  });

  it('retries a failing job, then records one error, and other jobs keep running', async () => {
    await cc.post({ name: 'always-fails', command: 'exit 3', schedule: `R1/${isoIn(1000)}/PT1M`, retries: 2 });
    await cc.post({ name: 'meanwhile', command: 'true', schedule: `R3/${isoIn(1000)}/PT1S` });
    const failed = await cc.waitForJob('always-fails', (j) => j.errorCount === 1, 'one error after its retries', 30_000);
    expect(failed).toMatchObject({ successCount: 0, errorsSinceLastSuccess: 1 });
    expect(failed.lastError).not.toBe('');
    const [run] = await cc.runs('always-fails');
    expect(run).toMatchObject({ state: 'failed', attempt: 2, attempts: 3, exitCode: 3 });
    await cc.waitForJob('meanwhile', (j) => j.successCount === 3, '3 successful runs');
  });

  it('runs a dependency chain A -> B -> C in order', async () => {
    await cc.post({ name: 'chain-a', command: 'sleep 0.3', schedule: `R2/${isoIn(1500)}/PT4S` });
    await cc.post({ name: 'chain-b', command: 'sleep 0.3', parents: ['chain-a'] });
    await cc.post({ name: 'chain-c', command: 'true', parents: ['chain-b'] });
    await cc.waitForJob('chain-c', (j) => j.successCount === 2, 'two runs of C', 30_000);
    const [a, b, c] = await Promise.all(['chain-a', 'chain-b', 'chain-c'].map((n) => cc.runs(n)));
    for (const runs of [a!, b!, c!]) expect(runs.filter((r: any) => r.state === 'succeeded')).toHaveLength(2);
    for (let i = 0; i < 2; i++) {
      expect(Date.parse(b![i].startedAt)).toBeGreaterThanOrEqual(Date.parse(a![i].finishedAt));
      expect(Date.parse(c![i].startedAt)).toBeGreaterThanOrEqual(Date.parse(b![i].finishedAt));
    }
    const csv = await cc.request('GET', '/v1/scheduler/graph/csv');
    expect(csv.text).toContain('link,chain-a,chain-b\n');
    expect(csv.text).toContain('link,chain-b,chain-c\n');
  });

  it('runs a job by hand (name with spaces, arguments), also under /scheduler', async () => {
    await cc.post({ name: 'run me now', command: 'echo', schedule: `R1/2099-01-01T00:00:00Z/P1D` });
    const res = await cc.request('PUT', `/scheduler/job/${encodeURIComponent('run me now')}?arguments=hello%20world`);
    expect(res.status).toBe(204);
    const runId = res.headers.get('x-chronos-run-id');
    expect(runId).toBeTruthy();
    await cc.waitForJob('run me now', (j) => j.successCount === 1, 'the manual run');
    const [run] = await cc.runs('run me now');
    expect(run).toMatchObject({ runId, trigger: 'manual', state: 'succeeded', arguments: ['hello', 'world'] });
  });

  it('skips an instant while the previous run is still going (Forbid)', async () => {
    await cc.post({ name: 'overlapping', command: 'sleep 2.5', schedule: `R4/${isoIn(1500)}/PT1S`, concurrencyPolicy: 'Forbid' });
    const job = await cc.waitForJob('overlapping', (j) => j.successCount + j.skippedCount === 4, 'all 4 instants accounted for', 30_000);
    expect(job.successCount).toBe(2);
    expect(job.skippedCount).toBe(2);
    const runs = await cc.runs('overlapping');
    expect(runs.filter((r) => r.state === 'skipped').every((r) => r.skipReason === 'overlap')).toBe(true);
  });

  it('runs a cron job in a time zone', async () => {
    await cc.post({ name: 'cron in kolkata', command: 'true', cron: '*/2 * * * * *', scheduleTimeZone: 'Asia/Kolkata' });
    const job = await cc.waitForJob('cron in kolkata', (j) => j.successCount >= 2, 'two runs', 30_000);
    expect(job.cron).toBe('*/2 * * * * *');
    expect(Date.parse(job.nextRun) % 2000).toBe(0);
    const runs = await cc.runs('cron in kolkata');
    for (const run of runs.filter((r) => r.state === 'succeeded')) expect(Date.parse(run.scheduledAt) % 2000).toBe(0);
    expect((await cc.request('DELETE', `/v1/scheduler/job/${encodeURIComponent('cron in kolkata')}`)).status).toBe(204);
    expect((await cc.request('GET', `/v1/scheduler/job/${encodeURIComponent('cron in kolkata')}`)).status).toBe(404);
  });
});
