import { Resources } from '@pando/resources';
import { addAgents, sumBy, T0, testAllocator } from './allocator.fixtures';
import type { HierarchicalDrfAllocator } from './hierarchical-drf.allocator';

const AGENT = 'cpus:4;mem:4096;ports:[31000-31009]';

describe('HierarchicalDrfAllocator offers', () => {
  describe('reservations', () => {
    it('offers statically reserved resources only to their role', () => {
      const { allocator } = testAllocator();
      allocator.addAgent('a1', Resources.parse('cpus(web):4;mem(web):4096;cpus:2;mem:2048'), { hostname: 'h', attributes: {} });
      allocator.addFramework('db', { roles: ['db'] });
      allocator.addFramework('web', { roles: ['web'] });
      allocator.suppressOffers('web');

      const [db, ...none] = allocator.allocate(T0);
      expect(none).toEqual([]);
      expect(db!.frameworkId).toBe('db');
      expect(db!.resources.equals(Resources.parse('cpus:2;mem:2048'))).toBe(true);
      expect(allocator.agentAvailable('a1')!.equals(Resources.parse('cpus(web):4;mem(web):4096'))).toBe(true);
      expect(allocator.allocate(T0 + 1)).toEqual([]);

      allocator.reviveOffers('web');
      const [web] = allocator.allocate(T0 + 2);
      expect(web!.frameworkId).toBe('web');
      expect(web!.resources.equals(Resources.parse('cpus(web):4;mem(web):4096'))).toBe(true);
      expect(allocator.agentAvailable('a1')!.isEmpty()).toBe(true);
    });

    it('offers a role its reservations together with unreserved resources', () => {
      const { allocator } = testAllocator();
      allocator.addAgent('a1', Resources.parse('cpus(web):4;cpus:2;mem:2048;ports:[1-5]'), { hostname: 'h', attributes: {} });
      allocator.addFramework('web', { roles: ['web'] });
      const [web] = allocator.allocate(T0);
      expect(web!.resources.equals(Resources.parse('cpus(web):4;cpus:2;mem:2048;ports:[1-5]'))).toBe(true);
    });

    it("offers a parent role's reservation to its sub-roles, never to other roles", () => {
      const { allocator } = testAllocator();
      allocator.addAgent('a1', Resources.parse('cpus(eng):4;mem(eng):4096'), { hostname: 'h', attributes: {} });
      allocator.addFramework('ops', { roles: ['ops'] });
      expect(allocator.allocate(T0)).toEqual([]);
      allocator.addFramework('web', { roles: ['eng/web'] });
      const [only, ...rest] = allocator.allocate(T0);
      expect(rest).toEqual([]);
      expect(only).toMatchObject({ frameworkId: 'web', role: 'eng/web' });
      expect(only!.resources.equals(Resources.parse('cpus(eng):4;mem(eng):4096'))).toBe(true);
    });

    it('follows reservations made later through updateAgentTotal and updateAllocation', () => {
      const { allocator } = testAllocator();
      allocator.addAgent('a1', Resources.parse('cpus:4;mem:4096'), { hostname: 'h', attributes: {} });
      allocator.addFramework('web', { roles: ['web'] });
      allocator.addFramework('db', { roles: ['db'] });
      const [offer] = allocator.allocate(T0);
      const holder = offer!.frameworkId;
      const other = holder === 'web' ? 'db' : 'web';

      // RESERVE inside an accepted offer: the framework now holds reserved resources.
      const reserved = Resources.parse(`cpus(${offer!.role}):1;mem(${offer!.role}):512`);
      allocator.updateAllocation(holder, 'a1', Resources.parse('cpus:1;mem:512'), reserved);
      expect(allocator.frameworkAllocated(holder, 'a1').equals(Resources.parse(`cpus:3;mem:3584`).add(reserved))).toBe(true);

      // Everything goes back; the reservation stays in the agent's total and goes to its role only.
      allocator.recoverResources(holder, 'a1', allocator.frameworkAllocated(holder), { refuseSeconds: 0 });
      allocator.suppressOffers(holder);
      const next = allocator.allocate(T0 + 1);
      expect(next).toHaveLength(1);
      expect(next[0]!.frameworkId).toBe(other);
      expect(next[0]!.resources.equals(Resources.parse('cpus:3;mem:3584'))).toBe(true);
    });

    it('converts resources spread over several allocations of the framework, in the role given', () => {
      const { allocator } = testAllocator({ minAllocatable: [] });
      const drf = allocator as HierarchicalDrfAllocator;
      allocator.addAgent('a1', Resources.parse('cpus:4;mem:4096'), { hostname: 'h', attributes: {} });
      allocator.addFramework('multi', { roles: ['a', 'b'] });
      // Two allocations on the agent, in two roles, each too small for the operation alone.
      allocator.trackAllocated('multi', 'a1', Resources.parse('cpus:1;mem:1024'), 'a');
      allocator.trackAllocated('multi', 'a1', Resources.parse('cpus:2;mem:1024'), 'b');
      const dynamic = (role: string, text: string) =>
        Resources.fromJson(Resources.parse(text).toJson().map((r) => ({ ...r, role, reservation: { type: 'DYNAMIC' as const, principal: 'p' } })));
      const reserved = dynamic('a', 'cpus:2;mem:1500');
      allocator.updateAllocation('multi', 'a1', Resources.parse('cpus:2;mem:1500'), reserved, 'a');
      expect(drf.audit()).toEqual([]);
      expect(allocator.frameworkAllocated('multi', 'a1').equals(Resources.parse('cpus:1;mem:548').add(reserved))).toBe(true);
      const summaries = new Map(allocator.roleSummaries().map((s) => [s.role, s.allocated]));
      expect(summaries.get('a')!.reservedTo('a').equals(reserved)).toBe(true);

      // More than it holds: refused, nothing changed.
      expect(() => allocator.updateAllocation('multi', 'a1', Resources.parse('cpus:3'), dynamic('a', 'cpus:3'), 'a')).toThrow(/does not hold cpus:3/);
      expect(drf.audit()).toEqual([]);

      // Everything back: the reservation stays on the agent, for role 'a' only.
      allocator.recoverResources('multi', 'a1', allocator.frameworkAllocated('multi', 'a1'));
      expect(drf.audit()).toEqual([]);
      expect(allocator.agentAvailable('a1')!.equals(Resources.parse('cpus:2;mem:2596').add(reserved))).toBe(true);
      allocator.addFramework('other', { roles: ['c'] });
      allocator.suppressOffers('multi');
      const [other] = allocator.allocate(T0);
      expect(other!.resources.equals(Resources.parse('cpus:2;mem:2596'))).toBe(true);
    });

    it('refuses a new total that no longer holds what is allocated', () => {
      const { allocator } = testAllocator();
      allocator.addAgent('a1', Resources.parse('cpus:4;mem:4096'), { hostname: 'h', attributes: {} });
      allocator.addFramework('web', { roles: ['web'] });
      allocator.trackAllocated('web', 'a1', Resources.parse('cpus:2;mem:1024'));
      expect(() => allocator.updateAgentTotal('a1', Resources.parse('cpus(web):4;mem:4096'))).toThrow(
        /cannot set the total of agent 'a1'/,
      );
      allocator.updateAgentTotal('a1', Resources.parse('cpus:2;cpus(web):2;mem:4096'));
      expect(allocator.agentAvailable('a1')!.equals(Resources.parse('cpus(web):2;mem:3072'))).toBe(true);
    });
  });

  describe('decline filters', () => {
    it('does not re-offer declined resources to the decliner before refuseSeconds, but does to others', () => {
      const { allocator, clock } = testAllocator();
      addAgents(allocator, 1, AGENT);
      allocator.addFramework('a', { roles: ['web'] });
      allocator.addFramework('b', { roles: ['web'] });

      const [first] = allocator.allocate(clock.now());
      expect(first!.frameworkId).toBe('a');
      allocator.recoverResources('a', first!.agentId, first!.resources, { refuseSeconds: 10 });

      for (const elapsed of [1000, 5000, 9999]) {
        clock.time = T0 + elapsed;
        const [offer] = allocator.allocate(clock.now());
        expect(offer!.frameworkId).toBe('b');
        allocator.recoverResources('b', offer!.agentId, offer!.resources);
      }
      clock.time = T0 + 10_000;
      expect(allocator.allocate(clock.now())[0]!.frameworkId).toBe('a');
    });

    it('offers again before expiry when the agent has more than was declined', () => {
      const { allocator } = testAllocator();
      addAgents(allocator, 1, AGENT);
      allocator.addFramework('a', { roles: ['web'] });
      allocator.trackAllocated('a', 'agent-0', Resources.parse('cpus:2;mem:2048'));
      const [offer] = allocator.allocate(T0);
      allocator.recoverResources('a', 'agent-0', offer!.resources, { refuseSeconds: 60 });
      expect(allocator.allocate(T0 + 1)).toEqual([]);
      // A task ends: the agent now has more than what was declined.
      allocator.recoverResources('a', 'agent-0', Resources.parse('cpus:2;mem:2048'));
      expect(allocator.allocate(T0 + 2)).toHaveLength(1);
    });

    it('drops filters on revive and ignores refuseSeconds 0', () => {
      const { allocator } = testAllocator();
      addAgents(allocator, 1, AGENT);
      allocator.addFramework('a', { roles: ['web'] });
      let [offer] = allocator.allocate(T0);
      allocator.recoverResources('a', 'agent-0', offer!.resources, { refuseSeconds: 0 });
      [offer] = allocator.allocate(T0 + 1);
      expect(offer).toBeDefined();
      allocator.recoverResources('a', 'agent-0', offer!.resources, {});
      expect(allocator.allocate(T0 + 2)).toEqual([]);
      allocator.reviveOffers('a');
      expect(allocator.allocate(T0 + 3)).toHaveLength(1);
    });
  });

  describe('suppress, revive and activity', () => {
    it('gives suppressed frameworks nothing and revived ones their share again', () => {
      const { allocator } = testAllocator();
      addAgents(allocator, 10, AGENT);
      allocator.addFramework('a', { roles: ['web'] });
      allocator.addFramework('b', { roles: ['web'] });
      allocator.suppressOffers('a');
      const first = allocator.allocate(T0);
      expect(sumBy(first, 'frameworkId', 'cpus')).toEqual(new Map([['b', 40]]));
      for (const a of first.slice(0, 5)) allocator.recoverResources(a.frameworkId, a.agentId, a.resources);
      expect(allocator.allocate(T0 + 1).map((a) => a.frameworkId)).toEqual(['b', 'b', 'b', 'b', 'b']);
      for (const a of first.slice(0, 5)) allocator.recoverResources(a.frameworkId, a.agentId, a.resources);
      allocator.reviveOffers('a');
      expect(sumBy(allocator.allocate(T0 + 2), 'frameworkId', 'cpus').get('a')).toBe(20);
    });

    it('suppresses per role for multi-role frameworks', () => {
      const { allocator } = testAllocator();
      addAgents(allocator, 4, AGENT);
      allocator.addFramework('m', { roles: ['x', 'y'] });
      allocator.suppressOffers('m', ['x']);
      expect(new Set(allocator.allocate(T0).map((a) => a.role))).toEqual(new Set(['y']));
    });

    it('never offers inactive agents or inactive frameworks', () => {
      const { allocator } = testAllocator();
      addAgents(allocator, 3, AGENT);
      allocator.addFramework('a', { roles: ['web'] });
      allocator.deactivateAgent('agent-1');
      expect(allocator.allocate(T0).map((a) => a.agentId).sort()).toEqual(['agent-0', 'agent-2']);
      allocator.activateAgent('agent-1');
      allocator.deactivateFramework('a');
      expect(allocator.allocate(T0 + 1)).toEqual([]);
      allocator.activateFramework('a');
      expect(allocator.allocate(T0 + 2).map((a) => a.agentId)).toEqual(['agent-1']);
    });

    it('does not offer crumbs below the minimum allocatable resources', () => {
      const { allocator } = testAllocator();
      allocator.addAgent('tiny', Resources.parse('cpus:0.005;mem:16;ports:[1-2]'), { hostname: 'h', attributes: {} });
      allocator.addFramework('a', { roles: ['web'] });
      expect(allocator.allocate(T0)).toEqual([]);
      const { allocator: lax } = testAllocator({ minAllocatable: [] });
      lax.addAgent('tiny', Resources.parse('ports:[1-2]'), { hostname: 'h', attributes: {} });
      lax.addFramework('a', { roles: ['web'] });
      expect(lax.allocate(T0)).toHaveLength(1);
    });

    it('offers gpu agents only to GPU_RESOURCES frameworks when asked to', () => {
      const { allocator } = testAllocator({ filterGpuResources: true });
      allocator.addAgent('gpu', Resources.parse('cpus:4;mem:4096;gpus:1'), { hostname: 'h', attributes: {} });
      allocator.addFramework('plain', { roles: ['a'] });
      expect(allocator.allocate(T0)).toEqual([]);
      allocator.addFramework('ml', { roles: ['b'], capabilities: ['GPU_RESOURCES'] });
      expect(allocator.allocate(T0).map((a) => a.frameworkId)).toEqual(['ml']);
    });
  });
});
