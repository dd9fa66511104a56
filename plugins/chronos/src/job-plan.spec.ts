import { parseChronosOptions } from './chronos.options';
import { nextPlanAtMs, planJob } from './job-plan';
import { parseSchedule } from './job-schedule';
import { parseJob } from './job.schema';
import { meaningOf } from './run-outcome';
import { runId } from './run-planner';
import { runKeyTimeMs, runStoreKey } from './store-keys';
import type { StoredJob } from './stored-job';

const T0 = Date.UTC(2026, 0, 1);
const stored = (body: Record<string, unknown>, extra: Partial<StoredJob> = {}): StoredJob => ({
  job: parseJob({ name: 'p', command: 'x', ...body }, { kind: 'scheduled' }),
  createdAtMs: T0,
  scheduleSinceMs: T0,
  activeRuns: [],
  ...extra,
});

describe('planJob', () => {
  it('records the instants of the look-ahead and moves handledThroughMs to the last one', () => {
    const s = stored({ schedule: 'R/2026-01-01T00:00:10Z/PT10S' });
    const schedule = parseSchedule(s.job, { createdAtMs: T0 });
    const plan = planJob({ stored: s, schedule, nowMs: T0 + 1000, planAheadMs: 20_000 })!;
    expect(plan.runs.map((r) => [r.scheduledAtMs - T0, r.state, r.runId])).toEqual([
      [10_000, 'scheduled', runId('p', T0 + 10_000)],
      [20_000, 'scheduled', runId('p', T0 + 20_000)],
    ]);
    expect(plan.handledThroughMs).toBe(T0 + 20_000);
    const next = { ...s, handledThroughMs: plan.handledThroughMs };
    expect(planJob({ stored: next, schedule, nowMs: T0 + 2000, planAheadMs: 20_000 })).toBeUndefined();
    expect(nextPlanAtMs(next, schedule, T0 + 2000, 20_000)).toBe(T0 + 30_000 - 20_000);
  });

  it('after a downtime: instants within epsilon run late (catching up), older ones become skip records', () => {
    const s = stored({ schedule: 'R/2026-01-01T00:00:00Z/PT10S', epsilon: 'PT15S' }, { handledThroughMs: T0 });
    const schedule = parseSchedule(s.job, { createdAtMs: T0 });
    const plan = planJob({ stored: s, schedule, nowMs: T0 + 45_000, planAheadMs: 0 })!;
    expect(plan.runs.map((r) => [r.scheduledAtMs - T0, r.catchUp])).toEqual([
      [30_000, true],
      [40_000, true],
    ]);
    expect(plan.skips.map((r) => [r.scheduledAtMs - T0, r.state, r.skipReason])).toEqual([
      [10_000, 'skipped', 'missed'],
      [20_000, 'skipped', 'missed'],
    ]);
    expect(plan.skippedCount).toBe(2);
    const latest = planJob({ stored: s, schedule, nowMs: T0 + 45_000, planAheadMs: 0, catchUp: 'latest' })!;
    expect(latest.runs.map((r) => r.scheduledAtMs - T0)).toEqual([40_000]);
    expect(latest.skips.map((r) => [r.scheduledAtMs - T0, r.skipReason])).toEqual([
      [10_000, 'missed'],
      [20_000, 'missed'],
      [30_000, 'superseded'],
    ]);
  });

  it('a disabled job records nothing but moves past the instants it sleeps through', () => {
    const s = stored({ schedule: 'R/2026-01-01T00:00:00Z/PT10S', disabled: true }, { handledThroughMs: T0 });
    const schedule = parseSchedule(s.job, { createdAtMs: T0 });
    const plan = planJob({ stored: s, schedule, nowMs: T0 + 35_000, planAheadMs: 5000 })!;
    expect(plan).toMatchObject({ runs: [], skips: [], skippedCount: 0, handledThroughMs: T0 + 30_000 });
    expect(nextPlanAtMs(s, schedule, T0, 5000)).toBeUndefined();
  });
});

describe('task updates', () => {
  it('tell a refused launch, a duplicate, an unknown task and the ends apart', () => {
    expect(meaningOf({ state: 'RUNNING' }, undefined)).toEqual({ kind: 'progress' });
    expect(meaningOf({ state: 'FINISHED' }, undefined)).toEqual({ kind: 'succeeded' });
    expect(meaningOf({ state: 'FAILED' }, undefined)).toEqual({ kind: 'ended', end: 'failed' });
    expect(meaningOf({ state: 'KILLED' }, 'timed-out')).toEqual({ kind: 'ended', end: 'timed-out' });
    expect(meaningOf({ state: 'KILLED' }, undefined)).toEqual({ kind: 'ended', end: 'killed' });
    expect(meaningOf({ state: 'LOST', reason: 'REASON_INVALID_OFFERS' }, undefined)).toEqual({ kind: 'not-launched' });
    expect(meaningOf({ state: 'ERROR', reason: 'REASON_TASK_INVALID', message: "task id 'x:0' is already in use" }, undefined)).toEqual({ kind: 'duplicate' });
    expect(meaningOf({ state: 'ERROR', reason: 'REASON_TASK_INVALID', message: "resources 'cpus:1' exceed what the offers have left ('')" }, undefined)).toEqual({ kind: 'not-launched' });
    expect(meaningOf({ state: 'GONE', reason: 'REASON_RECONCILIATION' }, undefined)).toEqual({ kind: 'unknown' });
    expect(meaningOf({ state: 'LOST', reason: 'REASON_AGENT_REMOVED' }, undefined)).toEqual({ kind: 'ended', end: 'lost' });
  });
});

describe('keys and options', () => {
  it('store each run under its job, ordered by time, manual runs too', () => {
    expect(runStoreKey('YQ-1767225600000')).toBe('runs.YQ.1767225600000');
    expect(runStoreKey('YS1i-m5')).toBe('runs.YS1i.m5');
    expect(runKeyTimeMs('runs.YS1i.m5')).toBe(5);
  });

  it('reads plugin options in either case and names every bad one', () => {
    expect(parseChronosOptions({ 'retry-base-ms': '500', tickMs: '50', 'catch-up': 'latest' })).toMatchObject({ retryBaseMs: 500, tickMs: 50, catchUp: 'latest' });
    expect(() => parseChronosOptions({ tickMs: '1', bogus: 'x' })).toThrow(/tickMs: '1' must be an integer from 10 to 10000; bogus: unknown option/);
  });
});
