import { parseJob } from './job.schema';
import { EMPTY_STATS, lastStatusOf, parentCompletedAtMs, recordFailure, recordSkipped, recordSuccess, statsOf, withStats } from './job-stats';
import { jobState, toJobSummary, toJobView } from './job-view';

const posted = {
  name: 'hourly report',
  command: 'report.sh',
  schedule: 'R/2026-01-01T00:00:00+01:00/PT1H',
  scheduleTimeZone: 'Europe/Berlin',
  async: false,
  labels: { team: 'bi' },
};

describe('toJobView', () => {
  it('returns the job as posted, with defaults, statistics and the derived nextRun; the schedule untouched', () => {
    const job = parseJob(posted, { kind: 'scheduled' });
    const stats = recordSuccess(EMPTY_STATS, Date.parse('2026-01-01T10:00:05Z'));
    const view = toJobView(job, { stats, nextRunMs: Date.parse('2026-01-01T11:00:00Z') });
    expect(view).toMatchObject({
      ...posted,
      retries: 2,
      epsilon: 'PT60S',
      successCount: 1,
      errorCount: 0,
      lastSuccess: '2026-01-01T10:00:05.000Z',
      lastError: '',
      errorsSinceLastSuccess: 0,
      skippedCount: 0,
      nextRun: '2026-01-01T11:00:00.000Z',
    });
    // Posting the view back gives the same job, statistics included, nextRun dropped.
    expect(parseJob(view, { kind: 'scheduled' })).toEqual(withStats(job, stats));
  });

  it('shows no next run for a disabled job, a dependent job or a finished schedule', () => {
    const disabled = parseJob({ ...posted, disabled: true }, { kind: 'scheduled' });
    expect(toJobView(disabled, { nextRunMs: 5 }).nextRun).toBeNull();
    const dependent = parseJob({ name: 'child', command: 'x', parents: ['hourly report'] }, { kind: 'dependent' });
    expect(toJobView(dependent).nextRun).toBeNull();
  });
});

describe('toJobSummary', () => {
  it("has Chronos's shape: name, status (last outcome), state, schedule, parents, disabled", () => {
    const job = parseJob(posted, { kind: 'scheduled' });
    expect(toJobSummary(job)).toEqual({ name: 'hourly report', status: 'fresh', state: 'idle', schedule: posted.schedule, parents: [], disabled: false });
    const failed = recordFailure(EMPTY_STATS, 2_000);
    expect(toJobSummary(job, { stats: failed, state: jobState(2, false) })).toMatchObject({ status: 'failure', state: '2 running' });
  });

  it('shows the cron expression as the schedule of a cron job, and the parents of a dependent job', () => {
    const cronJob = parseJob({ name: 'c', command: 'x', cron: '0 3 * * *' }, { kind: 'scheduled' });
    expect(toJobSummary(cronJob).schedule).toBe('0 3 * * *');
    const dependent = parseJob({ name: 'd', command: 'x', parents: ['c'] }, { kind: 'dependent' });
    expect(toJobSummary(dependent)).toMatchObject({ schedule: '', parents: ['c'] });
  });
});

describe('job statistics', () => {
  it('count successes, failures and skips like Chronos', () => {
    let stats = recordFailure(EMPTY_STATS, Date.parse('2026-01-01T00:00:00Z'));
    stats = recordFailure(stats, Date.parse('2026-01-01T01:00:00Z'));
    expect(stats).toMatchObject({ errorCount: 2, errorsSinceLastSuccess: 2, lastError: '2026-01-01T01:00:00.000Z' });
    expect(lastStatusOf(stats)).toBe('failure');
    stats = recordSuccess(stats, Date.parse('2026-01-01T02:00:00Z'));
    expect(stats).toMatchObject({ successCount: 1, errorCount: 2, errorsSinceLastSuccess: 0 });
    expect(lastStatusOf(stats)).toBe('success');
    expect(recordSkipped(stats, 3).skippedCount).toBe(3);
    expect(statsOf(withStats(parseJob(posted, { kind: 'scheduled' }), stats))).toEqual(stats);
  });

  it('let dependents of a soft-failing parent run after its failure', () => {
    const failedLast = recordFailure(recordSuccess(EMPTY_STATS, 1_000), 2_000);
    expect(parentCompletedAtMs(failedLast, false)).toBe(1_000);
    expect(parentCompletedAtMs(failedLast, true)).toBe(2_000);
    expect(parentCompletedAtMs(EMPTY_STATS, true)).toBeUndefined();
  });

  it('name the job state', () => {
    expect([jobState(0, false), jobState(0, true), jobState(1, true)]).toEqual(['idle', 'queued', '1 running']);
  });
});
