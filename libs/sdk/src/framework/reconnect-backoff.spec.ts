import { ReconnectBackoff } from './reconnect-backoff';

describe('ReconnectBackoff', () => {
  it('doubles from 250 ms up to 5 s without jitter', () => {
    const backoff = new ReconnectBackoff({ random: () => 0 });
    const delays = Array.from({ length: 8 }, () => backoff.next());
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('jitters each delay down by at most 20 %, never above the ceiling', () => {
    const low = new ReconnectBackoff({ random: () => 0.999999 });
    expect(Array.from({ length: 7 }, () => low.next())).toEqual([200, 400, 800, 1600, 3200, 4000, 4000]);
    const real = new ReconnectBackoff();
    for (let i = 0; i < 100; i++) expect(real.next()).toBeLessThanOrEqual(5000);
  });

  it('starts over after reset, and survives very long outages', () => {
    const backoff = new ReconnectBackoff({ random: () => 0 });
    for (let i = 0; i < 10_000; i++) backoff.next();
    expect(backoff.next()).toBe(5000);
    backoff.reset();
    expect(backoff.next()).toBe(250);
  });
});
