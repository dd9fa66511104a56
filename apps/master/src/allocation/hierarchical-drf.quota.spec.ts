import { InputError } from '@pando/common';
import { Resources } from '@pando/resources';
import type { Allocation } from './allocator.interface';
import { addAgents, recoverAll, sumBy, T0, testAllocator } from './allocator.fixtures';

const AGENT = 'cpus:4;mem:4096;ports:[31000-31009]';
const none = Resources.empty();
const cpus = (n: number) => Resources.scalars({ cpus: n });

function roleCpus(allocations: readonly Allocation[], role: string): number {
  return sumBy(allocations, 'role', 'cpus').get(role) ?? 0;
}

describe('HierarchicalDrfAllocator quota', () => {
  it('satisfies a guarantee first, and only up to the guarantee in that stage', () => {
    const { allocator } = testAllocator();
    addAgents(allocator, 20, AGENT);
    // Without quota, 'big' (weight 100) would sort first for every agent.
    allocator.setWeights({ big: 100 });
    allocator.addFramework('f-big', { roles: ['big'] });
    allocator.addFramework('f-q', { roles: ['q'] });
    allocator.setQuota('q', { guarantee: cpus(10), limit: none });

    const allocations = allocator.allocate(T0);
    expect(roleCpus(allocations, 'q')).toBe(10);
    expect(roleCpus(allocations, 'big')).toBe(70);
    // The chopped agent: q got 2 of its cpus (and the rest of it), big the other 2 cpus.
    const chopped = allocations.filter((a) => a.role === 'q' && a.resources.scalar('cpus') === 2);
    expect(chopped).toHaveLength(1);
    const rest = allocations.find((a) => a.agentId === chopped[0]!.agentId && a.role === 'big');
    expect(rest?.resources.equals(cpus(2))).toBe(true);
  });

  it('never lets allocate() take a role beyond its limit, across cycles', () => {
    const { allocator } = testAllocator();
    addAgents(allocator, 20, AGENT);
    allocator.addFramework('f-l', { roles: ['l'] });
    allocator.addFramework('f-other', { roles: ['other'] });
    allocator.setWeights({ l: 50 });
    allocator.setQuota('l', { guarantee: none, limit: Resources.scalars({ cpus: 10, mem: 100000 }) });

    let held: Allocation[] = [];
    for (let cycle = 0; cycle < 5; cycle++) {
      held.push(...allocator.allocate(T0 + cycle));
      expect(roleCpus(held, 'l')).toBeLessThanOrEqual(10);
      // Return half of what is held, as finished tasks would.
      const back = held.filter((_, i) => i % 2 === 0);
      recoverAll(allocator, back);
      held = held.filter((_, i) => i % 2 === 1);
    }
    expect(roleCpus(allocator.allocate(T0 + 10), 'l') + roleCpus(held, 'l')).toBe(10);
  });

  it('applies the limits of ancestors to sub-roles', () => {
    const { allocator } = testAllocator();
    addAgents(allocator, 10, AGENT);
    allocator.addFramework('web', { roles: ['eng/web'] });
    allocator.addFramework('api', { roles: ['eng/api'] });
    allocator.setQuota('eng', { guarantee: none, limit: cpus(6) });
    const allocations = allocator.allocate(T0);
    expect(roleCpus(allocations, 'eng/web') + roleCpus(allocations, 'eng/api')).toBe(6);
  });

  it('holds back headroom for an unmet guarantee, then meets it when the role asks', () => {
    const { allocator } = testAllocator();
    addAgents(allocator, 20, AGENT);
    allocator.addFramework('f-other', { roles: ['other'] });
    allocator.addFramework('f-q', { roles: ['q'] });
    allocator.suppressOffers('f-q');
    allocator.setQuota('q', { guarantee: cpus(8), limit: none });

    const first = allocator.allocate(T0);
    expect(roleCpus(first, 'other')).toBe(72);
    expect(roleCpus(first, 'q')).toBe(0);

    allocator.reviveOffers('f-q');
    expect(roleCpus(allocator.allocate(T0 + 1000), 'q')).toBe(8);
  });

  it('counts reservations towards the guarantee', () => {
    const { allocator } = testAllocator();
    addAgents(allocator, 10, AGENT);
    allocator.addAgent('reserved', Resources.parse('cpus(q):6;mem(q):1024'), { hostname: 'r', attributes: {} });
    allocator.addFramework('f-other', { roles: ['other'] });
    allocator.addFramework('f-q', { roles: ['q'] });
    allocator.setWeights({ other: 100 });
    allocator.setQuota('q', { guarantee: cpus(8), limit: none });
    const allocations = allocator.allocate(T0);
    // 6 reserved cpus already count: stage 1 gives only 2 unreserved cpus more.
    const unreservedToQ = allocations
      .filter((a) => a.role === 'q')
      .reduce((sum, a) => sum + a.resources.unreserved().scalar('cpus'), 0);
    expect(unreservedToQ).toBe(2);
    expect(roleCpus(allocations, 'q')).toBe(8);
  });

  it('returns one allocation per framework and agent even when both stages grant', () => {
    const { allocator } = testAllocator();
    addAgents(allocator, 3, AGENT);
    allocator.addFramework('f-q', { roles: ['q'] });
    allocator.setQuota('q', { guarantee: cpus(2), limit: none });
    const allocations = allocator.allocate(T0);
    const keys = allocations.map((a) => `${a.agentId}/${a.frameworkId}/${a.role}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(roleCpus(allocations, 'q')).toBe(12);
  });

  it('drops the quota on removeQuota', () => {
    const { allocator } = testAllocator();
    addAgents(allocator, 5, AGENT);
    allocator.addFramework('f', { roles: ['l'] });
    allocator.setQuota('l', { guarantee: none, limit: cpus(4) });
    allocator.removeQuota('l');
    allocator.removeQuota('never-set');
    expect(roleCpus(allocator.allocate(T0), 'l')).toBe(20);
  });

  it('rejects quotas that are not unreserved scalars within their limit, listing every problem', () => {
    const { allocator } = testAllocator();
    const attempt = () =>
      allocator.setQuota('q', {
        guarantee: Resources.parse('cpus:4;cpus(web):1;ports:[1-2]'),
        limit: Resources.parse('cpus:2'),
      });
    expect(attempt).toThrow(InputError);
    try {
      attempt();
    } catch (err) {
      expect((err as InputError).details).toEqual([
        "guarantee: 'cpus' must not be reserved (role 'web')",
        "guarantee: 'ports' is not a scalar",
        'cpus: guarantee 5 exceeds limit 2',
      ]);
    }
    expect(() => allocator.setQuota('*', { guarantee: none, limit: none })).toThrow("invalid quota for role '*'");
  });
});
