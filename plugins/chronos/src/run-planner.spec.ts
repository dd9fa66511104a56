import { FakeClock } from '@pando/testing';
import { parseSchedule } from './job-schedule';
import { epsilonMsOf, parseJob, type Job } from './job.schema';
import { attemptTaskId, manualRunId, MAX_TASK_ID_LENGTH, parseAttemptTaskId, MAX_COUNTED_SKIPS, parseRunId, planRuns, runId, type CatchUp, type SkipReason } from './run-planner';

const at = (text: string) => Date.parse(text);
const iso = (ms: number) => new Date(ms).toISOString();
const SECOND = 1000;

/** What a scheduler persists (the KV bucket): it survives the scheduler's restarts. */
interface Store {
  handledThroughMs: number | undefined;
  runs: Map<string, number>;
  skipped: Array<{ instant: string; reason: SkipReason }>;
  skippedCount: number;
}

/**
 * A minimal scheduler loop over planRuns, driven by the fake clock: a tick a second, persisting
 * the plan before "launching". `stop()` is a crash; a new instance over the same store is the
 * restarted (or failed-over) scheduler.
 */
class LoopScheduler {
  private timer: unknown;
  readonly launched: string[] = [];

  constructor(
    private readonly clock: FakeClock,
    private readonly job: Job,
    private readonly createdAtMs: number,
    private readonly store: Store,
    private readonly catchUp?: CatchUp,
  ) {}

  start(): this {
    this.tick();
    return this;
  }

  stop(): void {
    this.clock.clearTimeout(this.timer as never);
  }

  private tick(): void {
    const plan = planRuns({
      schedule: parseSchedule(this.job, { createdAtMs: this.createdAtMs }),
      nowMs: this.clock.now(),
      epsilonMs: epsilonMsOf(this.job),
      handledThroughMs: this.store.handledThroughMs,
      createdAtMs: this.createdAtMs,
      disabled: this.job.disabled,
      catchUp: this.catchUp,
    });
    // Persist first, launch second: a crash in between leaves a recorded run, never a double.
    this.store.handledThroughMs = plan.handledThroughMs;
    this.store.skipped.push(...plan.skipped.map((s) => ({ instant: iso(s.instantMs), reason: s.reason })));
    this.store.skippedCount += plan.skippedCount;
    for (const instant of plan.due) {
      const id = runId(this.job.name, instant);
      if (this.store.runs.has(id)) throw new Error(`run ${id} planned twice`);
      this.store.runs.set(id, this.clock.now());
      this.launched.push(iso(instant));
    }
    this.timer = this.clock.setTimeout(() => this.tick(), SECOND);
  }
}

const emptyStore = (): Store => ({ handledThroughMs: undefined, runs: new Map(), skipped: [], skippedCount: 0 });
const cronJob = (epsilon?: string, extra: Record<string, unknown> = {}) =>
  parseJob({ name: 'every-minute', command: 'true', cron: '* * * * *', ...(epsilon ? { epsilon } : {}), ...extra }, { kind: 'scheduled' });
const startedAt = (store: Store, instant: string) => iso(store.runs.get(runId('every-minute', at(instant)))!);

describe('planRuns with a fake clock', () => {
  let clock: FakeClock;
  beforeEach(() => {
    clock = new FakeClock(at('2026-01-01T10:00:00.500Z'));
  });

  it('runs every instant once, on time, while the scheduler is up', () => {
    const store = emptyStore();
    const job = parseJob({ name: 'two-seconds', command: 'true', schedule: 'R/2026-01-01T10:00:00Z/PT2S' }, { kind: 'scheduled' });
    const scheduler = new LoopScheduler(clock, job, clock.now(), store).start();
    clock.advance(10 * SECOND);
    expect(scheduler.launched).toEqual([
      '2026-01-01T10:00:00.000Z', // 0.5 s late, within epsilon
      '2026-01-01T10:00:02.000Z',
      '2026-01-01T10:00:04.000Z',
      '2026-01-01T10:00:06.000Z',
      '2026-01-01T10:00:08.000Z',
      '2026-01-01T10:00:10.000Z',
    ]);
    expect(store.skipped).toEqual([]);
  });

  it('starts a run missed during an outage late, once, when it is still within epsilon', () => {
    const store = emptyStore();
    const created = clock.now();
    const first = new LoopScheduler(clock, cronJob(), created, store).start();
    clock.set(at('2026-01-01T10:00:30Z'));
    first.stop(); // down from 10:00:30 ...
    clock.set(at('2026-01-01T10:01:45Z')); // ... to 10:01:45: the 10:01 run is 45 s late, epsilon is 60 s
    const second = new LoopScheduler(clock, cronJob(), created, store).start();
    clock.advance(30 * SECOND);
    expect(second.launched).toEqual(['2026-01-01T10:01:00.000Z', '2026-01-01T10:02:00.000Z']);
    expect(startedAt(store, '2026-01-01T10:01:00Z')).toBe('2026-01-01T10:01:45.000Z');
    expect(store.skipped).toEqual([]);
  });

  it('records runs missed beyond epsilon as skipped, and runs the one still within it', () => {
    const store = emptyStore();
    const created = clock.now();
    new LoopScheduler(clock, cronJob(), created, store).start().stop();
    clock.set(at('2026-01-01T10:03:30Z'));
    const restarted = new LoopScheduler(clock, cronJob(), created, store).start();
    expect(restarted.launched).toEqual(['2026-01-01T10:03:00.000Z']); // 30 s late
    expect(store.skipped).toEqual([
      { instant: '2026-01-01T10:01:00.000Z', reason: 'missed' }, // 150 s late
      { instant: '2026-01-01T10:02:00.000Z', reason: 'missed' }, // 90 s late
    ]);
    expect(store.skippedCount).toBe(2);
  });

  it('runs nothing late when every missed run is beyond epsilon, then resumes on time', () => {
    const store = emptyStore();
    const created = clock.now();
    new LoopScheduler(clock, cronJob('PT10S'), created, store).start().stop();
    clock.set(at('2026-01-01T10:03:30Z'));
    const restarted = new LoopScheduler(clock, cronJob('PT10S'), created, store).start();
    expect(restarted.launched).toEqual([]);
    expect(store.skipped.map((s) => s.instant)).toEqual(['2026-01-01T10:01:00.000Z', '2026-01-01T10:02:00.000Z', '2026-01-01T10:03:00.000Z']);
    clock.advance(31 * SECOND);
    expect(restarted.launched).toEqual(['2026-01-01T10:04:00.000Z']);
  });

  it('starts every missed run within epsilon late, oldest first (Chronos), and records none as skipped', () => {
    const store = emptyStore();
    const created = clock.now();
    new LoopScheduler(clock, cronJob('PT150S'), created, store).start().stop();
    clock.set(at('2026-01-01T10:03:30Z'));
    const restarted = new LoopScheduler(clock, cronJob('PT150S'), created, store).start();
    expect(restarted.launched).toEqual(['2026-01-01T10:01:00.000Z', '2026-01-01T10:02:00.000Z', '2026-01-01T10:03:00.000Z']);
    expect(store.skipped).toEqual([]);
    clock.advance(31 * SECOND);
    expect(restarted.launched.slice(3)).toEqual(['2026-01-01T10:04:00.000Z']);
  });

  it("with catchUp 'latest', catches up with one run, not a burst, when several missed runs are within epsilon", () => {
    const store = emptyStore();
    const created = clock.now();
    new LoopScheduler(clock, cronJob('PT5M'), created, store, 'latest').start().stop();
    clock.set(at('2026-01-01T10:03:30Z'));
    const restarted = new LoopScheduler(clock, cronJob('PT5M'), created, store, 'latest').start();
    expect(restarted.launched).toEqual(['2026-01-01T10:03:00.000Z']);
    expect(store.skipped).toEqual([
      { instant: '2026-01-01T10:01:00.000Z', reason: 'superseded' },
      { instant: '2026-01-01T10:02:00.000Z', reason: 'superseded' },
    ]);
  });

  it('never launches an instant twice across a restart: the handled instant is persisted before launch', () => {
    const store = emptyStore();
    const created = clock.now();
    clock.set(at('2026-01-01T10:01:00.200Z'));
    const first = new LoopScheduler(clock, cronJob(), created, store).start();
    expect(first.launched).toEqual(['2026-01-01T10:01:00.000Z']);
    first.stop(); // crash right after launching (or right after persisting, before the launch went out)
    clock.advance(300);
    const second = new LoopScheduler(clock, cronJob(), created, store).start();
    clock.advance(20 * SECOND);
    expect(second.launched).toEqual([]);
    expect([...store.runs.keys()]).toEqual([runId('every-minute', at('2026-01-01T10:01:00Z'))]);
    // The restarted scheduler finds the recorded run under the same id to re-attach or re-launch it.
    expect(parseRunId([...store.runs.keys()][0]!)).toEqual({ jobName: 'every-minute', instantMs: at('2026-01-01T10:01:00Z'), manual: false });
  });

  it('ignores instants from before the job existed, except one just within epsilon', () => {
    const created = at('2026-01-01T10:00:30Z');
    const job = cronJob();
    const plan = planRuns({
      schedule: parseSchedule(job, { createdAtMs: created }),
      nowMs: created,
      epsilonMs: epsilonMsOf(job),
      handledThroughMs: undefined,
      createdAtMs: created,
    });
    // 10:00:00 is 30 s before creation and within epsilon: Chronos runs a start just in the past.
    expect(plan).toEqual({ due: [at('2026-01-01T10:00:00Z')], skipped: [], skippedCount: 0, handledThroughMs: at('2026-01-01T10:00:00Z'), nextRunMs: at('2026-01-01T10:01:00Z') });
    const weekly = parseJob({ name: 'w', command: 'x', cron: '0 0 * * 0', epsilon: 'PT1M' }, { kind: 'scheduled' });
    expect(planRuns({ schedule: parseSchedule(weekly, { createdAtMs: created }), nowMs: created, epsilonMs: 60_000, handledThroughMs: undefined, createdAtMs: created }).skipped).toEqual([]);
  });

  it('runs an ISO job with an empty start (Chronos: start now) right away, once', () => {
    const store = emptyStore();
    const job = parseJob({ name: 'once', command: 'x', schedule: 'R1//PT24H' }, { kind: 'scheduled' });
    const scheduler = new LoopScheduler(clock, job, clock.now(), store).start();
    clock.advance(600 * SECOND);
    expect(scheduler.launched).toEqual(['2026-01-01T10:00:00.500Z']);
  });

  it('runs nothing for a disabled job and does not replay its instants when it is enabled again', () => {
    const store = emptyStore();
    const created = clock.now();
    const disabled = new LoopScheduler(clock, cronJob(undefined, { disabled: true }), created, store).start();
    clock.advance(5 * 60 * SECOND);
    disabled.stop();
    expect(disabled.launched).toEqual([]);
    const enabled = new LoopScheduler(clock, cronJob(), created, store).start();
    clock.advance(60 * SECOND);
    expect(enabled.launched).toEqual(['2026-01-01T10:06:00.000Z']);
    expect(store.skipped).toEqual([]);
  });

  it('has no next run once a finite schedule is over', () => {
    const job = parseJob({ name: 'thrice', command: 'x', schedule: 'R3/2026-01-01T10:00:00Z/PT1M' }, { kind: 'scheduled' });
    const plan = planRuns({
      schedule: parseSchedule(job, { createdAtMs: 0 }),
      nowMs: at('2026-01-01T10:02:10Z'),
      epsilonMs: 60_000,
      handledThroughMs: at('2026-01-01T10:01:00Z'),
      createdAtMs: 0,
    });
    expect(plan.due).toEqual([at('2026-01-01T10:02:00Z')]);
    expect(plan.nextRunMs).toBeUndefined();
  });

  it('lists only the latest skips of a long outage, and counts them all (saturating)', () => {
    const job = parseJob({ name: 'per-second', command: 'x', cron: '* * * * * *', epsilon: 'PT0S' }, { kind: 'scheduled' });
    const schedule = parseSchedule(job, { createdAtMs: 0 });
    const plan = planRuns({ schedule, nowMs: at('2026-01-01T10:10:00.500Z'), epsilonMs: 0, handledThroughMs: at('2026-01-01T10:00:00Z'), createdAtMs: 0, maxListedSkips: 3 });
    // With epsilon 0, even 10:10:00 is missed: it is half a second late.
    expect(plan.skipped.map((s) => iso(s.instantMs))).toEqual(['2026-01-01T10:09:58.000Z', '2026-01-01T10:09:59.000Z', '2026-01-01T10:10:00.000Z']);
    expect(plan.due).toEqual([]);
    expect(plan.skippedCount).toBe(600);
    const day = planRuns({ schedule, nowMs: at('2026-01-03T10:00:00.500Z'), epsilonMs: 0, handledThroughMs: at('2026-01-01T10:00:00Z'), createdAtMs: 0 });
    expect(day.skippedCount).toBe(MAX_COUNTED_SKIPS);
    expect(day.skipped).toHaveLength(100);
  });
});

describe('run ids', () => {
  it('are deterministic per job and instant, and reversible', () => {
    const id = runId('nightly backup #2', at('2026-01-01T03:00:00Z'));
    expect(id).toBe(runId('nightly backup #2', at('2026-01-01T03:00:00Z')));
    expect(id).toMatch(/^[-_A-Za-z0-9]+$/);
    expect(parseRunId(id)).toEqual({ jobName: 'nightly backup #2', instantMs: at('2026-01-01T03:00:00Z'), manual: false });
    expect(runId('a', 1)).not.toBe(runId('b', 1));
  });

  it('keep manual runs apart from scheduled ones, and name each attempt', () => {
    const manual = manualRunId('job-x', 1_000);
    expect(manual).not.toBe(runId('job-x', 1_000));
    expect(parseRunId(manual)).toEqual({ jobName: 'job-x', instantMs: 1_000, manual: true });
    expect(attemptTaskId(runId('job-x', 1_000), 2)).toBe(`${runId('job-x', 1_000)}:2`);
    expect(parseAttemptTaskId(attemptTaskId(runId('job-x', 1_000), 2))).toEqual({ runId: runId('job-x', 1_000), attempt: 2 });
    expect(() => parseRunId('nonsense')).toThrow("'nonsense' is not a run id");
  });
});

describe('attempt task ids', () => {
  it('are subject-safe task ids, also for the longest job names', () => {
    const long = 'x'.repeat(200);
    const a = attemptTaskId(runId(long, 1_700_000_000_000), 3);
    const b = attemptTaskId(runId(`${'x'.repeat(199)}y`, 1_700_000_000_000), 3);
    for (const id of [a, b]) {
      expect(id.length).toBeLessThanOrEqual(MAX_TASK_ID_LENGTH);
      expect(id).toMatch(/^[A-Za-z0-9_\-:]+$/);
    }
    expect(a).not.toBe(b);
    expect(a).toBe(attemptTaskId(runId(long, 1_700_000_000_000), 3));
    expect(a.endsWith(':3')).toBe(true);
  });
});
