import { Resources } from '@pando/resources';
import type { Allocation } from './allocator.interface';
import { addAgents, seededRandom, sumBy, T0, testAllocator } from './allocator.fixtures';

const AGENT = 'cpus:4;mem:8192;disk:1000;ports:[31000-31099]';

/** Recovers a random `fraction` of what is held (tasks ending), keeping the rest. */
function churn(
  allocator: ReturnType<typeof testAllocator>['allocator'],
  held: Allocation[],
  fraction: number,
  random: () => number,
): Allocation[] {
  const kept: Allocation[] = [];
  for (const a of held) {
    if (random() < fraction) allocator.recoverResources(a.frameworkId, a.agentId, a.resources);
    else kept.push(a);
  }
  return kept;
}

describe('HierarchicalDrfAllocator fairness', () => {
  it('gives roles with weights 1 and 3 a 1:3 share of a saturated cluster, and keeps it under churn', () => {
    const { allocator } = testAllocator();
    addAgents(allocator, 200, AGENT);
    allocator.setWeights({ light: 1, heavy: 3 });
    allocator.addFramework('f-light', { roles: ['light'] });
    allocator.addFramework('f-heavy', { roles: ['heavy'] });

    let held = allocator.allocate(T0);
    expect(held).toHaveLength(200);
    const random = seededRandom(1);
    for (let round = 0; round < 20; round++) {
      const ratio = (sumBy(held, 'role', 'cpus').get('heavy') ?? 0) / (sumBy(held, 'role', 'cpus').get('light') ?? 1);
      expect(ratio).toBeGreaterThan(3 * 0.9);
      expect(ratio).toBeLessThan(3 * 1.1);
      held = churn(allocator, held, 0.3, random);
      held.push(...allocator.allocate(T0 + round * 1000));
    }
  });

  it('shares a role equally between its frameworks', () => {
    const { allocator } = testAllocator();
    addAgents(allocator, 100, AGENT);
    for (const id of ['f1', 'f2', 'f3', 'f4']) allocator.addFramework(id, { roles: ['web'] });

    const cpus = sumBy(allocator.allocate(T0), 'frameworkId', 'cpus');
    for (const id of ['f1', 'f2', 'f3', 'f4']) expect(cpus.get(id)).toBe(100);
  });

  it('compares roles by their dominant resource', () => {
    const { allocator } = testAllocator();
    // Two kinds of agents: cpu-heavy and mem-heavy; both roles want everything.
    addAgents(allocator, 10, 'cpus:8;mem:1024', 'cpu');
    addAgents(allocator, 10, 'cpus:1;mem:16384', 'mem');
    allocator.addFramework('a', { roles: ['a'] });
    allocator.addFramework('b', { roles: ['b'] });
    const allocations = allocator.allocate(T0);
    const share = (role: string) =>
      Math.max(
        (sumBy(allocations, 'role', 'cpus').get(role) ?? 0) / 90,
        (sumBy(allocations, 'role', 'mem').get(role) ?? 0) / (10 * 1024 + 10 * 16384),
      );
    // Greedy DRF on lumpy agents: dominant shares end close, not necessarily equal.
    expect(Math.abs(share('a') - share('b'))).toBeLessThan(0.25);
  });

  it('aggregates hierarchical roles into their parents', () => {
    const { allocator } = testAllocator();
    addAgents(allocator, 80, AGENT);
    allocator.addFramework('web', { roles: ['eng/web'] });
    allocator.addFramework('api', { roles: ['eng/api'] });
    allocator.addFramework('ops', { roles: ['ops'] });

    const byRole = sumBy(allocator.allocate(T0), 'role', 'cpus');
    // eng and ops split the cluster; eng's half is split between its children.
    expect(byRole.get('ops')).toBe(160);
    expect(byRole.get('eng/web')).toBe(80);
    expect(byRole.get('eng/api')).toBe(80);
  });

  it('lets a role with frameworks compete with its own sub-roles', () => {
    const { allocator } = testAllocator();
    addAgents(allocator, 40, AGENT);
    allocator.addFramework('parent', { roles: ['eng'] });
    allocator.addFramework('child', { roles: ['eng/web'] });
    const byRole = sumBy(allocator.allocate(T0), 'role', 'cpus');
    expect(byRole.get('eng')).toBe(80);
    expect(byRole.get('eng/web')).toBe(80);
  });

  it('gives every agent to exactly one framework and visits agents in random order', () => {
    const { allocator } = testAllocator();
    const agents = addAgents(allocator, 50, AGENT);
    allocator.addFramework('only', { roles: ['web'] });
    const first = allocator.allocate(T0);
    expect(new Set(first.map((a) => a.agentId))).toEqual(new Set(agents));
    for (const a of first) expect(a.resources.equals(Resources.parse(AGENT))).toBe(true);

    // Another seed, another visiting order: agents are shuffled per cycle, not taken in insertion order.
    const { allocator: other } = testAllocator({ random: seededRandom(99) });
    addAgents(other, 50, AGENT);
    other.addFramework('only', { roles: ['web'] });
    const order = (list: Allocation[]) => list.map((a) => a.agentId).join(',');
    expect(order(other.allocate(T0))).not.toBe(order(first));
  });

  it('reorders roles when weights change', () => {
    const { allocator } = testAllocator();
    addAgents(allocator, 40, AGENT);
    allocator.addFramework('a', { roles: ['a'] });
    allocator.addFramework('b', { roles: ['b'] });
    allocator.setWeights({ b: 4 });
    const byRole = sumBy(allocator.allocate(T0), 'role', 'cpus');
    expect(byRole.get('b')).toBe(128);
    expect(byRole.get('a')).toBe(32);
  });
});
