import { isValidRole, UNRESERVED_ROLE, type Resources } from '@pando/resources';
import type { AgentState } from './allocator.state';
import type { RoleNode, RoleTree } from './role-tree';
import { addVector, type ScalarSpace, type ScalarVector } from './scalar-space';

/** A role's quota: it is owed `guarantee` and may never hold more than `limit` (per name). */
export interface Quota {
  guarantee: Resources;
  limit: Resources;
}

/** A quota compiled to vector slots so that checks in the allocation loop are array reads. */
export interface QuotaState extends Quota {
  readonly guaranteeSlots: number[];
  readonly guaranteeVector: ScalarVector;
  readonly limitSlots: number[];
  readonly limitVector: ScalarVector;
}

/** Every problem with a quota at once: quotas are unreserved scalar quantities, guarantee <= limit. */
export function quotaProblems(role: string, quota: Quota): string[] {
  const problems: string[] = [];
  if (role === UNRESERVED_ROLE || !isValidRole(role)) problems.push(`invalid role '${role}'`);
  for (const [label, bag] of [['guarantee', quota.guarantee], ['limit', quota.limit]] as const) {
    for (const entry of bag.toJson()) {
      if (entry.type !== 'SCALAR') problems.push(`${label}: '${entry.name}' is not a scalar`);
      if (entry.role !== undefined && entry.role !== UNRESERVED_ROLE) {
        problems.push(`${label}: '${entry.name}' must not be reserved (role '${entry.role}')`);
      }
    }
  }
  for (const name of quota.guarantee.names()) {
    const limited = quota.limit.names().includes(name);
    if (limited && quota.guarantee.scalar(name) > quota.limit.scalar(name)) {
      problems.push(`${name}: guarantee ${quota.guarantee.scalar(name)} exceeds limit ${quota.limit.scalar(name)}`);
    }
  }
  return problems;
}

export function compileQuota(space: ScalarSpace, quota: Quota): QuotaState {
  const guaranteeVector = space.vector(quota.guarantee);
  const limitVector = space.vector(quota.limit);
  // A limit of zero is a real limit ("none of this"), so slots come from names, not values.
  const limitSlots = quota.limit.names().map((name) => space.slot(name));
  const guaranteeSlots = quota.guarantee.names().map((name) => space.slot(name));
  return { ...quota, guaranteeSlots, guaranteeVector, limitSlots, limitVector };
}

/** Consumed quota of a role subtree as quantities (for the state endpoint). */
export function consumedQuota(space: ScalarSpace, node: RoleNode): Resources {
  const consumed = space.zero();
  for (let slot = 0; slot < consumed.length; slot++) consumed[slot] = consumedAt(node, slot);
  return space.toUnreserved(consumed);
}

/** Consumed quota of a role subtree, Mesos-style: its reservations plus its unreserved allocation. */
function consumedAt(node: RoleNode, slot: number): number {
  const allocation = node.allocation;
  return (node.reserved[slot] ?? 0) + (allocation[slot] ?? 0) - (node.allocatedReserved[slot] ?? 0);
}

/**
 * Quota arithmetic for one allocation cycle. `required` is the unreserved headroom that must
 * stay unallocated so that unmet guarantees can still be met later (Mesos' quota headroom);
 * `available` is what is unallocated and unreserved now. Both are kept current after every
 * grant, so later grants in the same cycle see the effect of earlier ones.
 */
export class QuotaPlanner {
  readonly required: ScalarVector;
  readonly available: ScalarVector;
  private readonly roots: RoleNode[] = [];

  constructor(
    private readonly space: ScalarSpace,
    private readonly quotaNodes: readonly RoleNode[],
    agents: Iterable<AgentState>,
  ) {
    this.required = space.zero();
    this.available = space.zero();
    for (const agent of agents) addVector(this.available, agent.availableUnreserved);
    // Nested guarantees are part of their ancestor's, so only the top-most quota roles count.
    for (const node of quotaNodes) if (!hasQuotaAncestor(node)) this.roots.push(node);
    this.recomputeRequired();
  }

  /** True when some role still has a guarantee to satisfy (stage 1 has work). */
  anyUnsatisfied(): boolean {
    const scratch = this.space.zero();
    return this.quotaNodes.some((node) => this.unsatisfied(node, scratch));
  }

  /** Fills `out` with what `node` is still owed per guaranteed slot; false when nothing is. */
  unsatisfied(node: RoleNode, out: ScalarVector): boolean {
    const quota = node.quota;
    if (out.length !== this.space.size) out.length = this.space.size;
    out.fill(0);
    if (!quota) return false;
    let any = false;
    for (const slot of quota.guaranteeSlots) {
      const owed = Math.max(0, quota.guaranteeVector[slot]! - consumedAt(node, slot));
      out[slot] = owed;
      if (owed > 0) any = true;
    }
    return any;
  }

  /**
   * Fills `caps` with the most unreserved scalar `node` may still take: its own and its
   * ancestors' limits, and (unless `skipHeadroom` says a slot is the role's own guarantee)
   * the headroom surplus. Slots without any cap are Infinity.
   */
  caps(node: RoleNode, caps: ScalarVector, skipHeadroom: ScalarVector | null): void {
    if (caps.length !== this.space.size) caps.length = this.space.size;
    caps.fill(Infinity);
    for (let n: RoleNode | null = node; n !== null && n.entry !== null; n = n.parent) {
      const quota = n.quota;
      if (!quota) continue;
      for (const slot of quota.limitSlots) {
        const room = Math.max(0, quota.limitVector[slot]! - consumedAt(n, slot));
        if (room < caps[slot]!) caps[slot] = room;
      }
    }
    for (let slot = 0; slot < this.required.length; slot++) {
      const required = this.required[slot]!;
      if (required <= 0 || (skipHeadroom !== null && (skipHeadroom[slot] ?? 0) > 0)) continue;
      const surplus = Math.max(0, (this.available[slot] ?? 0) - required);
      if (surplus < caps[slot]!) caps[slot] = surplus;
    }
  }

  /** Books a grant of `unreserved` scalars to `node`; its consumption is already in the tree. */
  granted(node: RoleNode, unreserved: ScalarVector): void {
    for (let i = 0; i < unreserved.length; i++) this.available[i] = (this.available[i] ?? 0) - unreserved[i]!;
    // Only consumption under a quota role changes what guarantees still need.
    for (let n: RoleNode | null = node; n !== null; n = n.parent) {
      if (n.quota) {
        this.recomputeRequired();
        return;
      }
    }
  }

  private recomputeRequired(): void {
    this.required.fill(0);
    for (const node of this.roots) {
      const quota = node.quota!;
      for (const slot of quota.guaranteeSlots) {
        this.required[slot]! += Math.max(0, quota.guaranteeVector[slot]! - consumedAt(node, slot));
      }
    }
  }
}

function hasQuotaAncestor(node: RoleNode): boolean {
  for (let n = node.parent; n !== null; n = n.parent) if (n.quota) return true;
  return false;
}

/** Quota nodes of a tree, for building a planner; empty when no role has a quota. */
export function quotaNodes(tree: RoleTree): RoleNode[] {
  const nodes: RoleNode[] = [];
  for (const node of tree.all()) if (node.quota) nodes.push(node);
  return nodes;
}
