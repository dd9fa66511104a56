import { RestartBackoff } from './restart-backoff';

describe('RestartBackoff', () => {
  const options = { initialMs: 1000, maxMs: 8000, stableAfterMs: 60_000 };

  it('doubles with each crash in a row, up to the maximum', () => {
    const backoff = new RestartBackoff(options);
    expect([1, 2, 3, 4, 5, 6].map(() => backoff.next(100))).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('starts over after a run that lasted long enough', () => {
    const backoff = new RestartBackoff(options);
    backoff.next(100);
    backoff.next(100);
    expect(backoff.next(60_000)).toBe(1000);
    expect(backoff.next(10)).toBe(2000);
  });
});
