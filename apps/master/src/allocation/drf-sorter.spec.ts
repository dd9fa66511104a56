import fc from 'fast-check';
import { DrfSorter, type ClusterTotals, type SorterClient } from './drf-sorter';
import { dominantShare } from './scalar-space';

function setUp(total: number[] = [100_000, 400_000]) {
  const totals: ClusterTotals = { vector: total, version: 1 };
  const sorter = new DrfSorter<string>(totals);
  return { totals, sorter };
}

const names = (order: ReadonlyArray<SorterClient<string>>) => order.map((c) => c.owner);

describe('DrfSorter', () => {
  it('orders active clients by weighted dominant share, ties by creation', () => {
    const { sorter } = setUp();
    const [a, b, c] = ['a', 'b', 'c'].map((name) => sorter.client(name));
    for (const client of [a!, b!, c!]) sorter.activate(client);
    expect(names(sorter.sorted())).toEqual(['a', 'b', 'c']);

    sorter.allocated(a!, [10_000, 0]); // 10% cpu
    sorter.allocated(b!, [0, 20_000]); // 5% mem
    expect(names(sorter.sorted())).toEqual(['c', 'b', 'a']);

    sorter.setWeight(a!, 4); // 10% / 4 = 2.5%
    expect(names(sorter.sorted())).toEqual(['c', 'a', 'b']);
  });

  it('leaves inactive clients out of the order but keeps their allocation', () => {
    const { sorter } = setUp();
    const a = sorter.client('a');
    const b = sorter.client('b');
    sorter.activate(a);
    sorter.activate(b);
    sorter.deactivate(a);
    sorter.allocated(a, [50_000, 0]);
    expect(names(sorter.sorted())).toEqual(['b']);
    sorter.activate(a);
    expect(names(sorter.sorted())).toEqual(['b', 'a']);
    expect(a.share).toBe(0.5);
  });

  it('re-sorts everything when the cluster total changes', () => {
    const { sorter, totals } = setUp();
    const a = sorter.client('a');
    const b = sorter.client('b');
    sorter.activate(a);
    sorter.activate(b);
    sorter.allocated(a, [10_000, 0]);
    sorter.allocated(b, [0, 80_000]);
    expect(names(sorter.sorted())).toEqual(['a', 'b']);
    totals.vector[1] = 4_000_000; // much more memory: b's share drops to 2%
    totals.version++;
    expect(names(sorter.sorted())).toEqual(['b', 'a']);
  });

  it('keeps the same order as a full sort under any sequence of changes', () => {
    type Op = { kind: 'alloc' | 'unalloc' | 'toggle' | 'weight' | 'total'; client: number; cpu: number; mem: number };
    const op = fc.record({
      kind: fc.constantFrom<Op['kind']>('alloc', 'alloc', 'unalloc', 'toggle', 'weight', 'total'),
      client: fc.nat(7),
      cpu: fc.nat(5_000),
      mem: fc.nat(20_000),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const { sorter, totals } = setUp();
        const clients = Array.from({ length: 8 }, (_, i) => sorter.client(`c${i}`));
        for (const client of clients) sorter.activate(client);
        for (const { kind, client: i, cpu, mem } of ops) {
          const client = clients[i]!;
          if (kind === 'alloc') sorter.allocated(client, [cpu, mem]);
          else if (kind === 'unalloc') sorter.unallocated(client, [Math.min(cpu, client.allocation[0] ?? 0), Math.min(mem, client.allocation[1] ?? 0)]);
          else if (kind === 'toggle') (client.active ? sorter.deactivate(client) : sorter.activate(client));
          else if (kind === 'weight') sorter.setWeight(client, 1 + (cpu % 4));
          else {
            totals.vector[0] = 100_000 + cpu;
            totals.version++;
          }
          const expected = clients
            .filter((c) => c.active)
            .map((c) => ({ c, share: dominantShare(c.allocation, totals.vector, c.weight) }))
            .sort((x, y) => x.share - y.share || x.c.seq - y.c.seq)
            .map((x) => x.c.owner);
          expect(names(sorter.sorted())).toEqual(expected);
        }
      }),
      { numRuns: 200 },
    );
  });
});
