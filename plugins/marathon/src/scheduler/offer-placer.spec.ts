import { app, offer, ports, scalar } from '../testing/marathon.fixtures';
import { placeOffers } from './offer-placer';

const offers = (n: number, cpus = 32) =>
  Array.from({ length: n }, (_, i) =>
    offer({ id: `o${i}`, agentId: `a${i}`, hostname: `h${i}`, resources: [scalar('cpus', cpus), scalar('mem', 131072), scalar('disk', 1000), ports(31000, 32999)] }),
  );
const executorOf = () => 'command';

describe('placeOffers', () => {
  it('spreads an app over the offers (fair share first), not packing the first ones', () => {
    const web = app({ id: '/web', cpus: 0.01, mem: 8, instances: 250 });
    const result = placeOffers(offers(10), [{ app: web, count: 250, placements: [] }], { executorOf });
    expect(result.launches).toHaveLength(10);
    expect(result.launches.map((l) => l.specs.length)).toEqual(Array(10).fill(25));
    expect(result.placed.get('/web')).toBe(250);
    expect(new Set(result.launches.flatMap((l) => l.hostPorts.flat())).size).toBeLessThanOrEqual(25 * 10);
  });

  it('fills what fair shares leave where it still fits', () => {
    const web = app({ id: '/web', cpus: 1, mem: 8, instances: 10 });
    const small = offers(1, 2);
    const big = offers(2, 16).slice(1);
    const result = placeOffers([...small, ...big], [{ app: web, count: 10, placements: [] }], { executorOf });
    expect(result.launches.map((l) => [l.offer.id, l.specs.length])).toEqual([
      ['o0', 2],
      ['o1', 8],
    ]);
  });

  it('keeps one ACCEPT under the payload limit', () => {
    const web = app({ id: '/web', cpus: 0.01, mem: 1, instances: 500 });
    const result = placeOffers(offers(1), [{ app: web, count: 500, placements: [] }], { executorOf, maxAcceptBytes: 100_000 });
    const launched = result.launches[0]!.specs;
    expect(launched.length).toBeGreaterThan(10);
    expect(JSON.stringify(launched).length).toBeLessThan(100_000);
    expect(result.placed.get('/web')).toBe(launched.length);
  });

  it('records why an app could not use an offer, and skips agents without its executor', () => {
    const big = app({ id: '/big', cpus: 64 });
    const docker = app({ id: '/d', container: { docker: { image: 'busybox' } }, cmd: 'true' });
    const commandOnly = offers(2).map((o) => ({ ...o, executors: ['command'] }));
    const result = placeOffers(commandOnly, [{ app: big, count: 1, placements: [] }, { app: docker, count: 1, placements: [] }], { executorOf: (a) => (a.container ? 'docker' : 'command') });
    expect(result.launches).toEqual([]);
    expect(result.unused).toHaveLength(2);
    expect(result.rejections.filter((r) => r.appId === '/big').map((r) => r.reasons)).toEqual([['InsufficientCpus'], ['InsufficientCpus']]);
    expect(offers(1)[0]!.executors).toContain('docker');
  });

  it('places 10,000 instances on 100 offers quickly (no O(n²))', () => {
    const web = app({ id: '/bench', cpus: 0.01, mem: 8, instances: 10_000 });
    const started = performance.now();
    const result = placeOffers(offers(100), [{ app: web, count: 10_000, placements: [] }], { executorOf });
    const ms = performance.now() - started;
    expect(result.placed.get('/bench')).toBe(10_000);
    expect(result.launches).toHaveLength(100);
    expect(ms).toBeLessThan(3000);
  });
});

describe('placeOffers bulk matching', () => {
  it('gives the same resources and ports as matching one by one', () => {
    const web = app({ id: '/web', cpus: 0.5, mem: 64, instances: 40, portDefinitions: [{ port: 0 }, { port: 0 }] });
    const fast = placeOffers(offers(1, 8), [{ app: web, count: 40, placements: [] }], { executorOf });
    // A constraint that always holds forces the one-by-one path.
    const slowApp = { ...web, constraints: [['hostname', 'LIKE', '.*']] as typeof web.constraints };
    const slow = placeOffers(offers(1, 8), [{ app: slowApp, count: 40, placements: [] }], { executorOf });
    expect(fast.launches[0]!.specs).toHaveLength(16);
    expect(fast.launches[0]!.hostPorts).toEqual(slow.launches[0]!.hostPorts);
    expect(fast.launches[0]!.specs.map((s) => s.resources)).toEqual(slow.launches[0]!.specs.map((s) => s.resources));
  });
});
