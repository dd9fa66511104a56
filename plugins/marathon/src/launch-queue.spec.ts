import { funnel, LaunchQueue } from './launch-queue';
import { app, offer, T0 } from './testing/marathon.fixtures';

describe('LaunchQueue backoff', () => {
  const web = app({ id: 'web', backoffSeconds: 2, backoffFactor: 2, maxLaunchDelaySeconds: 10 });

  it('delays by backoffSeconds × backoffFactor^(n-1), capped by maxLaunchDelaySeconds', () => {
    const queue = new LaunchQueue();
    expect(queue.delay(web, T0)).toEqual({ timeLeftSeconds: 0, overdue: true });
    const delays: number[] = [];
    let now = T0;
    for (let i = 0; i < 5; i++) {
      queue.recordFailure(web, now);
      delays.push(queue.launchAllowedAt(web, now) - now);
      now += 1000;
    }
    expect(delays).toEqual([2000, 4000, 8000, 10000, 10000]);
    expect(queue.isDelayed(web, now)).toBe(true);
    expect(queue.delay(web, now - 1000)).toEqual({ timeLeftSeconds: 10, overdue: false });
  });

  it("uses Marathon's defaults: 1 s, × 1.15, at most 300 s", () => {
    const queue = new LaunchQueue();
    const plain = app({ id: 'plain' });
    let delay = 0;
    for (let i = 0; i < 60; i++) {
      queue.recordFailure(plain, T0);
      delay = queue.launchAllowedAt(plain, T0) - T0;
      if (i === 1) expect(delay).toBe(1150);
    }
    expect(delay).toBe(300_000);
  });

  it('forgets the delay on reset, after a long run, and after a quiet period', () => {
    const queue = new LaunchQueue();
    queue.recordFailure(web, T0);
    queue.recordFailure(web, T0);
    queue.resetDelay(web.id);
    expect(queue.isDelayed(web, T0)).toBe(false);
    queue.recordFailure(web, T0);
    queue.recordFailure(web, T0, 10_000);
    expect(queue.launchAllowedAt(web, T0) - T0).toBe(2000);
    queue.recordFailure(web, T0 + 1000);
    // 4 s delay + 10 s maxLaunchDelay without a failure: back to the start.
    queue.recordFailure(web, T0 + 1000 + 14_000);
    expect(queue.launchAllowedAt(web, T0 + 15_000) - (T0 + 15_000)).toBe(2000);
  });
});

describe('LaunchQueue offer statistics', () => {
  const web = app({ id: 'web' });

  it("summarises declined offers with Marathon's funnel", () => {
    const queue = new LaunchQueue({ lastUnusedOffersLimit: 2 });
    queue.startLaunchAttempt(web.id, T0);
    queue.recordNoMatch(web.id, offer({ id: 'o1', agentId: 'a1' }), ['InsufficientCpus', 'InsufficientPorts'], T0 + 1);
    queue.recordNoMatch(web.id, offer({ id: 'o2', agentId: 'a2' }), ['UnfulfilledConstraint', 'InsufficientMemory'], T0 + 2);
    queue.recordNoMatch(web.id, offer({ id: 'o3', agentId: 'a1' }), ['InsufficientMemory'], T0 + 3);
    queue.recordMatch(web.id, T0 + 4);
    const snap = queue.snapshot(web, T0 + 5);
    expect(snap.since).toBe(T0);
    expect(snap.lastUnusedOffers.map((u) => u.offer.id)).toEqual(['o2', 'o3']);
    const summary = snap.processedOffersSummary;
    expect(summary).toMatchObject({ processedOffersCount: 4, unusedOffersCount: 3, lastUnusedOfferAt: T0 + 3, lastUsedOfferAt: T0 + 4 });
    expect(summary.rejectSummaryLastOffers).toEqual([
      { reason: 'UnfulfilledRole', declined: 0, processed: 2 },
      { reason: 'UnfulfilledConstraint', declined: 1, processed: 2 },
      { reason: 'NoCorrespondingReservationFound', declined: 0, processed: 1 },
      { reason: 'InsufficientCpus', declined: 0, processed: 1 },
      { reason: 'InsufficientMemory', declined: 1, processed: 1 },
      { reason: 'InsufficientDisk', declined: 0, processed: 0 },
      { reason: 'InsufficientGpus', declined: 0, processed: 0 },
      { reason: 'InsufficientPorts', declined: 0, processed: 0 },
    ]);
    expect(summary.rejectSummaryLaunchAttempt.map((s) => [s.reason, s.declined, s.processed])).toEqual([
      ['UnfulfilledRole', 0, 4],
      ['UnfulfilledConstraint', 1, 4],
      ['NoCorrespondingReservationFound', 0, 3],
      ['InsufficientCpus', 1, 3],
      ['InsufficientMemory', 1, 2],
      ['InsufficientDisk', 0, 1],
      ['InsufficientGpus', 0, 1],
      ['InsufficientPorts', 0, 1],
    ]);
  });

  it('drops the statistics when the launch attempt ends but keeps the backoff', () => {
    const queue = new LaunchQueue();
    queue.recordFailure(web, T0);
    queue.recordNoMatch(web.id, offer(), ['InsufficientCpus'], T0);
    queue.endLaunchAttempt(web.id);
    expect(queue.snapshot(web, T0).processedOffersSummary.processedOffersCount).toBe(0);
    expect(queue.isDelayed(web, T0)).toBe(true);
    queue.remove(web.id);
    expect(queue.isDelayed(web, T0)).toBe(false);
  });

  it('funnel passes what a stage did not decline to the next stage', () => {
    expect(funnel(10, new Map([['InsufficientCpus', 4]])).find((s) => s.reason === 'InsufficientMemory')).toEqual({ reason: 'InsufficientMemory', declined: 0, processed: 6 });
  });
});
