import fc from 'fast-check';
import { isSameOrAncestorRole, Resources } from '@pando/resources';
import type { Allocation, Allocator } from './allocator.interface';
import { seededRandom, T0, testAllocator } from './allocator.fixtures';
import type { HierarchicalDrfAllocator } from './hierarchical-drf.allocator';

/**
 * Random sequences of master events against the allocator, checking its books after every step:
 * on every agent, available + everything allocated there == total (so nothing is handed out
 * twice and nothing goes negative, which clamping would hide as a loss), and every cycle only
 * hands out what was free, once per framework/agent/role, to eligible frameworks, within limits.
 */
const ROLES = ['a', 'b', 'b/x', 'c'];
const QUOTA_ROLES = ['a', 'b', 'c'];
const TEMPLATES = [
  'cpus:4;mem:4096;ports:[1-10]',
  'cpus(a):2;cpus:2;mem:2048',
  'cpus(b/x):1;mem(b):512;disk:100;cpus:1',
  'cpus:1;mem:64;gpus:1',
];

type Op =
  | { kind: 'addAgent'; template: number }
  | { kind: 'removeAgent' | 'toggleAgent' | 'reserve'; agent: number; role: number }
  | { kind: 'addFramework'; roles: number[] }
  | { kind: 'removeFramework' | 'toggleFramework' | 'suppress' | 'revive' | 'updateRoles'; framework: number; roles: number[] }
  | { kind: 'allocate'; dt: number }
  | { kind: 'recover'; framework: number; agent: number; part: number; refuse: number }
  | { kind: 'track'; framework: number; agent: number }
  | { kind: 'quota'; role: number; guarantee: number; limit: number }
  | { kind: 'weights'; role: number; weight: number };

const index = fc.nat(20);
const roleSet = fc.uniqueArray(fc.nat(ROLES.length - 1), { minLength: 1, maxLength: 3 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('addAgent' as const), template: fc.nat(TEMPLATES.length - 1) }) },
  fc.record({ kind: fc.constantFrom('removeAgent' as const, 'toggleAgent' as const, 'reserve' as const), agent: index, role: fc.nat(3) }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('addFramework' as const), roles: roleSet }) },
  fc.record({
    kind: fc.constantFrom('removeFramework' as const, 'toggleFramework' as const, 'suppress' as const, 'revive' as const, 'updateRoles' as const),
    framework: index,
    roles: roleSet,
  }),
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('allocate' as const), dt: fc.integer({ min: 0, max: 8000 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('recover' as const), framework: index, agent: index, part: fc.nat(2), refuse: fc.nat(3) }) },
  fc.record({ kind: fc.constant('track' as const), framework: index, agent: index }),
  fc.record({ kind: fc.constant('quota' as const), role: fc.nat(QUOTA_ROLES.length), guarantee: fc.nat(6), limit: fc.nat(12) }),
  fc.record({ kind: fc.constant('weights' as const), role: fc.nat(ROLES.length - 1), weight: fc.integer({ min: 1, max: 5 }) }),
);

/** A starting cluster, so that most sequences have something to allocate. */
const setupArb: fc.Arbitrary<Op[]> = fc
  .tuple(
    fc.array(fc.nat(TEMPLATES.length - 1), { minLength: 1, maxLength: 6 }),
    fc.array(roleSet, { minLength: 1, maxLength: 4 }),
  )
  .map(([templates, frameworks]) => [
    ...templates.map((template): Op => ({ kind: 'addAgent', template })),
    ...frameworks.map((roles): Op => ({ kind: 'addFramework', roles })),
  ]);

interface Model {
  allocator: Allocator;
  clock: { time: number };
  agents: Map<string, { total: Resources; active: boolean }>;
  frameworks: Map<string, { roles: string[]; active: boolean; suppressed: Set<string> }>;
  limits: Map<string, number>;
  nextId: number;
}

const pick = <T>(items: readonly T[], i: number): T | undefined => (items.length === 0 ? undefined : items[i % items.length]);

function checkBooks(model: Model): void {
  const problems = (model.allocator as HierarchicalDrfAllocator).audit();
  if (problems.length > 0) throw new Error(`inconsistent books:\n${problems.join('\n')}`);
  for (const [agentId, agent] of model.agents) {
    const sum = model.allocator.agentAvailable(agentId)!;
    for (const frameworkId of model.frameworks.keys()) sum.addInPlace(model.allocator.frameworkAllocated(frameworkId, agentId));
    if (!sum.equals(agent.total)) throw new Error(`agent ${agentId}: available + allocated = ${sum} != total ${agent.total}`);
  }
}

/** Quota consumption of a role subtree (cpus): reservations plus unreserved allocation. */
function consumedCpus(model: Model, role: string): number {
  const inSubtree = (r: string) => isSameOrAncestorRole(role, r);
  let consumed = 0;
  for (const summary of model.allocator.roleSummaries()) {
    if (inSubtree(summary.role)) consumed += summary.allocated.unreserved().scalar('cpus');
  }
  for (const agent of model.agents.values()) for (const r of ROLES.filter(inSubtree)) consumed += agent.total.reservedTo(r).scalar('cpus');
  return consumed;
}

function checkCycle(model: Model, before: Map<string, Resources>, consumedBefore: Map<string, number>, allocations: Allocation[]): void {
  const keys = new Set<string>();
  const given = new Map<string, Resources>();
  for (const a of allocations) {
    const key = `${a.agentId}/${a.frameworkId}/${a.role}`;
    if (keys.has(key)) throw new Error(`two allocations for ${key}`);
    keys.add(key);
    const framework = model.frameworks.get(a.frameworkId)!;
    if (!model.agents.get(a.agentId)!.active) throw new Error(`offered inactive agent ${a.agentId}`);
    if (!framework.active || framework.suppressed.has(a.role) || !framework.roles.includes(a.role)) {
      throw new Error(`offered ${a.frameworkId} in ${a.role} though it does not want offers there`);
    }
    for (const entry of a.resources.toJson()) {
      if (entry.role && entry.role !== '*' && !isSameOrAncestorRole(entry.role, a.role)) {
        throw new Error(`offered resources reserved to ${entry.role} to role ${a.role}`);
      }
    }
    if (a.resources.isEmpty()) throw new Error('empty allocation');
    given.set(a.agentId, (given.get(a.agentId) ?? Resources.empty()).add(a.resources));
  }
  for (const [agentId, sum] of given) {
    if (!before.get(agentId)!.contains(sum)) throw new Error(`agent ${agentId}: handed out ${sum}, had ${before.get(agentId)}`);
  }
  for (const [role, limit] of model.limits) {
    const after = consumedCpus(model, role);
    if (after > Math.max(limit, consumedBefore.get(role)!) + 1e-9) throw new Error(`role ${role} at ${after} cpus, limit ${limit}`);
  }
}

function allocate(model: Model, dt: number): void {
  model.clock.time += dt;
  const before = new Map([...model.agents.keys()].map((id) => [id, model.allocator.agentAvailable(id)!]));
  const consumedBefore = new Map([...model.limits.keys()].map((role) => [role, consumedCpus(model, role)]));
  checkCycle(model, before, consumedBefore, model.allocator.allocate(model.clock.time));
}

function recoverPart(model: Model, frameworkId: string, agentId: string, part: number, refuse: number): void {
  const held = model.allocator.frameworkAllocated(frameworkId, agentId);
  const portion = part === 0 ? held : part === 1 ? Resources.scalars({ cpus: Math.floor(held.scalar('cpus') / 2) }) : held.filter((r) => r.type !== 'SCALAR');
  const filter = refuse === 0 ? undefined : { refuseSeconds: [0, 1, 5][refuse - 1]! };
  model.allocator.recoverResources(frameworkId, agentId, portion, filter);
}

function apply(model: Model, op: Op): void {
  const { allocator } = model;
  const agentIds = [...model.agents.keys()];
  const frameworkIds = [...model.frameworks.keys()];
  switch (op.kind) {
    case 'addAgent': {
      const id = `agent-${model.nextId++}`;
      const total = Resources.parse(TEMPLATES[op.template]!);
      allocator.addAgent(id, total, { hostname: id, attributes: {} });
      model.agents.set(id, { total, active: true });
      return;
    }
    case 'removeAgent':
    case 'toggleAgent':
    case 'reserve': {
      const id = pick(agentIds, op.agent);
      if (!id) return;
      const agent = model.agents.get(id)!;
      if (op.kind === 'removeAgent') {
        allocator.removeAgent(id);
        model.agents.delete(id);
      } else if (op.kind === 'toggleAgent') {
        agent.active = !agent.active;
        if (agent.active) allocator.activateAgent(id);
        else allocator.deactivateAgent(id);
      } else if (allocator.agentAvailable(id)!.unreserved().scalar('cpus') >= 1) {
        agent.total = agent.total.subtract(Resources.scalars({ cpus: 1 })).add(Resources.scalars({ cpus: 1 }, ROLES[op.role]!));
        allocator.updateAgentTotal(id, agent.total);
      }
      return;
    }
    case 'addFramework': {
      const id = `framework-${model.nextId++}`;
      const roles = op.roles.map((i) => ROLES[i]!);
      allocator.addFramework(id, { roles });
      model.frameworks.set(id, { roles, active: true, suppressed: new Set() });
      return;
    }
    case 'removeFramework':
    case 'toggleFramework':
    case 'suppress':
    case 'revive':
    case 'updateRoles': {
      const id = pick(frameworkIds, op.framework);
      if (!id) return;
      const framework = model.frameworks.get(id)!;
      const roles = op.roles.map((i) => ROLES[i]!);
      if (op.kind === 'removeFramework') {
        allocator.removeFramework(id);
        model.frameworks.delete(id);
      } else if (op.kind === 'toggleFramework') {
        framework.active = !framework.active;
        if (framework.active) allocator.activateFramework(id);
        else allocator.deactivateFramework(id);
      } else if (op.kind === 'suppress') {
        allocator.suppressOffers(id, roles);
        for (const role of roles) if (framework.roles.includes(role)) framework.suppressed.add(role);
      } else if (op.kind === 'revive') {
        allocator.reviveOffers(id, roles);
        for (const role of roles) framework.suppressed.delete(role);
      } else {
        allocator.updateFramework(id, { roles });
        framework.roles = roles;
        for (const role of [...framework.suppressed]) if (!roles.includes(role)) framework.suppressed.delete(role);
      }
      return;
    }
    case 'allocate':
      return allocate(model, op.dt);
    case 'recover': {
      const frameworkId = pick(frameworkIds, op.framework);
      const agentId = pick(agentIds, op.agent);
      if (frameworkId && agentId) recoverPart(model, frameworkId, agentId, op.part, op.refuse);
      return;
    }
    case 'track': {
      const frameworkId = pick(frameworkIds, op.framework);
      const agentId = pick(agentIds, op.agent);
      if (!frameworkId || !agentId) return;
      const cpus = Math.floor(allocator.agentAvailable(agentId)!.unreserved().scalar('cpus') / 2);
      if (cpus > 0) allocator.trackAllocated(frameworkId, agentId, Resources.scalars({ cpus }));
      return;
    }
    case 'quota': {
      const role = QUOTA_ROLES[op.role];
      if (!role) {
        for (const r of QUOTA_ROLES) allocator.removeQuota(r);
        model.limits.clear();
        return;
      }
      // A zero limit cannot be written as Resources (empty entries vanish), so limits start at 1.
      const limit = Math.max(op.limit, op.guarantee, 1);
      allocator.setQuota(role, { guarantee: Resources.scalars({ cpus: op.guarantee }), limit: Resources.scalars({ cpus: limit }) });
      model.limits.set(role, limit);
      return;
    }
    case 'weights':
      return allocator.setWeights({ [ROLES[op.role]!]: op.weight });
  }
}

describe('HierarchicalDrfAllocator properties', () => {
  it('keeps available + allocated == total on every agent, and cycles hand out only what is free', () => {
    fc.assert(
      fc.property(setupArb, fc.array(opArb, { minLength: 10, maxLength: 80, size: 'max' }), fc.nat(), (setup, ops, seed) => {
        const { allocator, clock } = testAllocator({ random: seededRandom(seed) });
        const model: Model = { allocator, clock, agents: new Map(), frameworks: new Map(), limits: new Map(), nextId: 0 };
        clock.time = T0;
        for (const op of [...setup, ...ops]) {
          apply(model, op);
          checkBooks(model);
        }
        allocate(model, 10_000);
        checkBooks(model);
      }),
      { numRuns: 200 },
    );
  });
});
