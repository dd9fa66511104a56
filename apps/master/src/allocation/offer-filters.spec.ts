import { Resources } from '@pando/resources';
import { OfferFilters, refuseMillis } from './offer-filters';

const r = (text: string) => Resources.parse(text);

describe('refuseMillis', () => {
  it('defaults missing or invalid values to 5 s, keeps 0 as "no filter" and caps at a year', () => {
    expect(refuseMillis(undefined)).toBe(5000);
    expect(refuseMillis(-1)).toBe(5000);
    expect(refuseMillis(Number.NaN)).toBe(5000);
    expect(refuseMillis(0)).toBe(0);
    expect(refuseMillis(2.5)).toBe(2500);
    expect(refuseMillis(1e12)).toBe(365 * 24 * 3600 * 1000);
  });
});

describe('OfferFilters', () => {
  it('filters offers covered by the declined resources until expiry, per agent and role', () => {
    const filters = new OfferFilters();
    filters.add('a1', 'web', r('cpus:4;mem:1024'), 10_000);
    expect(filters.isFiltered('a1', 'web', r('cpus:4;mem:1024'), 0)).toBe(true);
    expect(filters.isFiltered('a1', 'web', r('cpus:1'), 9_999)).toBe(true);
    expect(filters.isFiltered('a1', 'web', r('cpus:1'), 10_000)).toBe(false);
    expect(filters.isFiltered('a1', 'web', r('cpus:5'), 0)).toBe(false);
    expect(filters.isFiltered('a1', 'db', r('cpus:1'), 0)).toBe(false);
    expect(filters.isFiltered('a2', 'web', r('cpus:1'), 0)).toBe(false);
  });

  it('expires, clears per role and forgets agents', () => {
    const filters = new OfferFilters();
    filters.add('a1', 'web', r('cpus:1'), 100);
    filters.add('a1', 'db', r('cpus:1'), 200);
    filters.add('a2', 'web', r('cpus:1'), 300);
    filters.expire(150);
    expect(filters.isFiltered('a1', 'web', r('cpus:1'), 0)).toBe(false);
    expect(filters.isFiltered('a1', 'db', r('cpus:1'), 0)).toBe(true);
    filters.clear(new Set(['db']));
    expect(filters.isFiltered('a1', 'db', r('cpus:1'), 0)).toBe(false);
    expect(filters.size).toBe(1);
    filters.removeAgent('a2');
    expect(filters.size).toBe(0);
  });
});
