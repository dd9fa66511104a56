import { ChronosCluster, FAST_MASTER_ARGS, isoIn } from './chronos-cluster.fixture';

/** Run ids of the tasks the master saw for a job (a run's attempts share the run id). */
async function masterRunIds(cc: ChronosCluster, job: string): Promise<string[]> {
  const tasks = (await cc.masterTasks()).filter((t) => t.name === job);
  return tasks.map((t) => String(t.id).replace(/:\d+$/, ''));
}

describe('chronos across framework-host restarts', () => {
  let cc: ChronosCluster;

  beforeAll(async () => {
    cc = await ChronosCluster.start();
  });

  afterAll(async () => {
    await cc?.stop();
  });

  it('a graceful host restart in the middle of a schedule neither skips nor doubles a run', async () => {
    const start = isoIn(2000);
    await cc.post({ name: 'through-restart', command: 'sleep 0.5', schedule: `R10/${start}/PT2S` });
    await cc.waitForJob('through-restart', (j) => j.successCount >= 3, '3 runs before the restart');
    const stoppedAt = Date.now();
    await cc.restartHost();
    const downMs = Date.now() - stoppedAt;
    process.stderr.write(`[chronos e2e] the graceful host restart took ${downMs} ms\n`);
    const job = await cc.waitForJob('through-restart', (j) => j.successCount + j.skippedCount + j.errorCount >= 10, 'all 10 instants accounted for', 40_000);
    expect(job).toMatchObject({ successCount: 10, skippedCount: 0, errorCount: 0 });
    const runs = await cc.runs('through-restart');
    const instants = runs.map((r) => Date.parse(r.scheduledAt) - Date.parse(start)).sort((a, b) => a - b);
    expect(instants).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18].map((s) => s * 1000));
    const ids = await masterRunIds(cc, 'through-restart');
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
  });

  it('a run going during a restart is re-attached, not launched again, and counted once', async () => {
    await cc.post({ name: 'long-runner', command: 'sleep 5', schedule: `R1/${isoIn(1000)}/PT1H` });
    await cc.waitForJob('long-runner', () => true, 'the job');
    await new Promise((resolve) => setTimeout(resolve, 2500)); // the run is going
    await cc.restartHost();
    const job = await cc.waitForJob('long-runner', (j) => j.successCount === 1, 'its one success', 30_000);
    expect(job.errorCount).toBe(0);
    expect(await masterRunIds(cc, 'long-runner')).toHaveLength(1);
    const [run] = await cc.runs('long-runner');
    expect(run).toMatchObject({ state: 'succeeded', attempts: 1 });
  });

  it('after a crash (kill -9: the lease must expire first) every instant still runs once, late, never doubled', async () => {
    const start = isoIn(2000);
    await cc.post({ name: 'through-crash', command: 'true', schedule: `R10/${start}/PT2S` });
    await cc.waitForJob('through-crash', (j) => j.successCount >= 3, '3 runs before the crash');
    await cc.restartHost(true);
    const job = await cc.waitForJob('through-crash', (j) => j.successCount + j.skippedCount >= 10, 'all 10 instants accounted for', 40_000);
    // The downtime (lease expiry + start) is far within epsilon (60 s): the missed instants ran late.
    expect(job).toMatchObject({ successCount: 10, skippedCount: 0, errorCount: 0 });
    const runs = await cc.runs('through-crash');
    expect(new Set(runs.map((r) => r.scheduledAt)).size).toBe(10);
    expect(runs.some((r) => Date.parse(r.startedAt) - Date.parse(r.scheduledAt) > 2000)).toBe(true);
    const ids = await masterRunIds(cc, 'through-crash');
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
  });
});

describe('chronos across a master restart', () => {
  let cc: ChronosCluster;

  beforeAll(async () => {
    cc = await ChronosCluster.start();
  });

  afterAll(async () => {
    await cc?.stop();
  });

  it('runs the instants that fell in the master downtime late (within epsilon), none twice', async () => {
    const start = isoIn(2000);
    await cc.post({ name: 'through-master-restart', command: 'true', schedule: `R8/${start}/PT2S` });
    await cc.waitForJob('through-master-restart', (j) => j.successCount >= 2, '2 runs before the restart');
    await cc.cluster.restartMaster(FAST_MASTER_ARGS);
    const job = await cc.waitForJob('through-master-restart', (j) => j.successCount + j.skippedCount + j.errorCount >= 8, 'all 8 instants accounted for', 60_000);
    expect(job).toMatchObject({ successCount: 8, skippedCount: 0, errorCount: 0 });
    const runs = await cc.runs('through-master-restart');
    expect(new Set(runs.map((r) => r.scheduledAt)).size).toBe(8);
    expect(runs.every((r) => r.attempts === 1)).toBe(true);
  });
});
