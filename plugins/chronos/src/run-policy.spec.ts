import { parseJob } from './job.schema';
import { completionDeadlineMs, decideConcurrency, decideJobConcurrency, decideRetry, retryDelayMs } from './run-policy';

const job = (extra: Record<string, unknown> = {}) => parseJob({ name: 'j', command: 'x', cron: '@hourly', ...extra }, { kind: 'scheduled' });

describe('decideConcurrency', () => {
  it.each([
    ['Allow', 0, 'start'],
    ['Allow', 2, 'start'],
    ['Forbid', 0, 'start'],
    ['Forbid', 1, 'skip'],
    ['Replace', 0, 'start'],
    ['Replace', 1, 'replace'],
  ] as const)('%s with %i running: %s', (policy, running, decision) => {
    expect(decideConcurrency(policy, running)).toBe(decision);
    expect(decideConcurrency(policy, Array.from({ length: running }, (_, i) => `run-${i}`))).toBe(decision);
  });

  it("follows Chronos's concurrent flag when no policy is given (default: one run at a time)", () => {
    expect(decideJobConcurrency(job(), 1)).toBe('skip');
    expect(decideJobConcurrency(job({ concurrent: true }), 1)).toBe('start');
    expect(decideJobConcurrency(job({ concurrencyPolicy: 'Replace' }), 1)).toBe('replace');
  });
});

describe('retries', () => {
  it('back off exponentially from 60 s, capped', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n))).toEqual([60_000, 120_000, 240_000, 480_000, 600_000, 600_000]);
    expect(retryDelayMs(3, { baseMs: 1_000, factor: 3, maxMs: 5_000 })).toBe(5_000);
    expect(() => retryDelayMs(0)).toThrow();
  });

  it("retry a failed run up to the job's retries (2 by default: 3 attempts in all)", () => {
    const j = job();
    expect(decideRetry(j, 1, 'failed')).toEqual({ retry: true, retryNumber: 1, delayMs: 60_000 });
    expect(decideRetry(j, 2, 'lost')).toEqual({ retry: true, retryNumber: 2, delayMs: 120_000 });
    expect(decideRetry(j, 3, 'failed')).toEqual({ retry: false });
    expect(decideRetry(job({ retries: 0 }), 1, 'failed')).toEqual({ retry: false });
  });

  it('do not retry a run killed past maxCompletionTime or by a user', () => {
    expect(decideRetry(job(), 1, 'timed-out')).toEqual({ retry: false });
    expect(decideRetry(job(), 1, 'killed')).toEqual({ retry: false });
  });
});

describe('completionDeadlineMs', () => {
  it('is the start plus maxCompletionTime, in milliseconds or as an ISO duration', () => {
    expect(completionDeadlineMs(job({ maxCompletionTime: 90_000 }), 1_000)).toBe(91_000);
    expect(completionDeadlineMs(job({ maxCompletionTime: 'PT1H' }), 1_000)).toBe(3_601_000);
    expect(completionDeadlineMs(job(), 1_000)).toBeUndefined();
  });
});
