import { ConflictError, InputError, NotFoundError } from '@pando/common';
import { Resources } from '@pando/resources';
import { createAllocator } from './allocator.factory';
import { addAgents, T0, testAllocator } from './allocator.fixtures';
import { HierarchicalDrfAllocator } from './hierarchical-drf.allocator';

const AGENT = 'cpus:4;mem:4096;ports:[31000-31009]';
const r = (text: string) => Resources.parse(text);

describe('HierarchicalDrfAllocator lifecycle', () => {
  it('is created by kind, and unknown kinds fail clearly', () => {
    expect(createAllocator('drf')).toBeInstanceOf(HierarchicalDrfAllocator);
    expect(() => createAllocator('random')).toThrow(new InputError("unknown allocator 'random': expected one of drf"));
  });

  it('releases everything a removed framework held', () => {
    const { allocator } = testAllocator();
    addAgents(allocator, 2, AGENT);
    allocator.addFramework('a', { roles: ['web'] });
    expect(allocator.allocate(T0)).toHaveLength(2);
    allocator.removeFramework('a');
    allocator.removeFramework('a');
    expect(allocator.agentAvailable('agent-0')!.equals(r(AGENT))).toBe(true);
    expect(allocator.frameworkAllocated('a').isEmpty()).toBe(true);
    expect(allocator.roleSummaries()).toEqual([]);
    allocator.addFramework('b', { roles: ['web'] });
    expect(allocator.allocate(T0 + 1)).toHaveLength(2);
  });

  it('forgets a removed agent and ignores late recoveries for it', () => {
    const { allocator } = testAllocator();
    addAgents(allocator, 2, AGENT);
    allocator.addFramework('a', { roles: ['web'] });
    const allocations = allocator.allocate(T0);
    allocator.removeAgent('agent-0');
    allocator.removeAgent('agent-0');
    for (const a of allocations) allocator.recoverResources(a.frameworkId, a.agentId, a.resources);
    expect(allocator.agentAvailable('agent-0')).toBeUndefined();
    expect(allocator.frameworkAllocated('a').isEmpty()).toBe(true);
    expect(allocator.allocate(T0 + 1).map((a) => a.agentId)).toEqual(['agent-1']);
  });

  it('recovers parts of offers and resources spread over several grants', () => {
    const { allocator } = testAllocator();
    addAgents(allocator, 1, AGENT);
    allocator.addFramework('a', { roles: ['web'] });
    const [offer] = allocator.allocate(T0);
    // Accept 1 cpu and 2 ports; the rest comes back.
    const used = r('cpus:1;mem:512;ports:[31000-31001]');
    allocator.recoverResources('a', 'agent-0', offer!.resources.subtract(used));
    expect(allocator.frameworkAllocated('a', 'agent-0').equals(used)).toBe(true);
    // The next offer (the rest), then a recovery spanning both grants.
    const [second] = allocator.allocate(T0 + 1);
    expect(second!.resources.equals(r('cpus:3;mem:3584;ports:[31002-31009]'))).toBe(true);
    allocator.recoverResources('a', 'agent-0', r('cpus:4;mem:4096;ports:[31000-31009]'));
    expect(allocator.frameworkAllocated('a').isEmpty()).toBe(true);
    expect(allocator.agentAvailable('agent-0')!.equals(r(AGENT))).toBe(true);
  });

  it('tracks resources in use from recovered state, in the role they are reserved to', () => {
    const { allocator } = testAllocator();
    allocator.addAgent('a1', r('cpus(db):2;cpus:2;mem:4096'), { hostname: 'h', attributes: {} });
    allocator.addFramework('m', { roles: ['web', 'db'] });
    allocator.deactivateFramework('m');
    allocator.trackAllocated('m', 'a1', r('cpus(db):1;mem:1024'));
    allocator.trackAllocated('m', 'a1', r('cpus:1'));
    const summaries = new Map(allocator.roleSummaries().map((s) => [s.role, s]));
    expect(summaries.get('db')!.allocated.equals(r('cpus(db):1;mem:1024'))).toBe(true);
    expect(summaries.get('web')!.allocated.equals(r('cpus:1'))).toBe(true);
    expect(() => allocator.trackAllocated('m', 'a1', r('cpus:8'))).toThrow(ConflictError);
    expect(() => allocator.trackAllocated('nobody', 'a1', r('cpus:1'))).toThrow(NotFoundError);
  });

  it('moves a framework between roles, keeping what it holds in the old role until recovered', () => {
    const { allocator } = testAllocator();
    addAgents(allocator, 2, AGENT);
    allocator.addFramework('a', { roles: ['old'] });
    const held = allocator.allocate(T0).find((a) => a.agentId === 'agent-0');
    allocator.recoverResources('a', 'agent-1', allocator.frameworkAllocated('a', 'agent-1'));
    allocator.updateFramework('a', { roles: ['new'] });
    const roles = () => new Map(allocator.roleSummaries().map((s) => [s.role, s.frameworks]));
    expect(roles().get('new')).toEqual(['a']);
    const next = allocator.allocate(T0 + 1);
    expect(next.map((a) => a.role)).toEqual(['new']);
    allocator.recoverResources('a', held!.agentId, held!.resources);
    expect([...roles().keys()]).toEqual(['new']);
  });

  it('summarises roles for the state endpoint', () => {
    const { allocator } = testAllocator();
    addAgents(allocator, 2, AGENT);
    allocator.setWeights({ web: 2, idle: 3 });
    allocator.setQuota('web', { guarantee: r('cpus:1'), limit: r('cpus:8') });
    allocator.addFramework('f2', { roles: ['web'] });
    allocator.addFramework('f1', { roles: ['web', 'eng/batch'] });
    allocator.suppressOffers('f1', ['eng/batch']);
    allocator.allocate(T0);
    const summaries = allocator.roleSummaries();
    expect(summaries.map((s) => [s.role, s.weight, s.frameworks])).toEqual([
      ['eng', 1, []],
      ['eng/batch', 1, ['f1']],
      ['idle', 3, []],
      ['web', 2, ['f1', 'f2']],
    ]);
    const web = summaries.find((s) => s.role === 'web')!;
    expect(web.allocated.equals(r(AGENT).add(r(AGENT)))).toBe(true);
    expect(web.quota!.limit.equals(r('cpus:8'))).toBe(true);
    expect(web.quota!.consumed.equals(r('cpus:8;mem:8192'))).toBe(true);
  });

  it('rejects bad input with typed errors', () => {
    const { allocator } = testAllocator();
    addAgents(allocator, 1, AGENT);
    allocator.addFramework('a', { roles: ['web'] });
    expect(() => allocator.addAgent('agent-0', r(AGENT), { hostname: 'h', attributes: {} })).toThrow(ConflictError);
    expect(() => allocator.addFramework('a', { roles: ['web'] })).toThrow(ConflictError);
    expect(() => allocator.addFramework('b', { roles: ['bad role', '/x'] })).toThrow(InputError);
    expect(() => allocator.activateAgent('nope')).toThrow(NotFoundError);
    expect(() => allocator.suppressOffers('nope')).toThrow(NotFoundError);
    let details: string[] = [];
    try {
      allocator.setWeights({ web: 0, '*': 2, ok: 1.5 });
    } catch (err) {
      details = (err as InputError).details;
    }
    expect(details).toEqual(['web: weight 0 is not a positive number', "invalid role '*'"]);
    expect(() => testAllocator({ minAllocatable: [{ cpus: -1 }] })).toThrow(InputError);
    // Recovering for unknown ids is a no-op: removals and recoveries race in a real master.
    allocator.recoverResources('nope', 'agent-0', r('cpus:1'));
    allocator.recoverResources('a', 'nope', r('cpus:1'));
  });
});
