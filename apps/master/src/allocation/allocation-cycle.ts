import { isSameOrAncestorRole, Resources } from '@pando/resources';
import type { Allocation } from './allocator.interface';
import type { AgentState, FrameworkState } from './allocator.state';
import type { AllocationBooks } from './allocation-books';
import type { SorterClient } from './drf-sorter';
import { QuotaPlanner, quotaNodes } from './quota';
import type { RoleNode } from './role-tree';
import { coversVector, difference, isZeroVector, subtractVector, type ScalarVector } from './scalar-space';

/** Settings of the cycle, resolved once by the allocator. */
export interface CycleSettings {
  readonly random: () => number;
  /** Offers must cover one of these (millis vectors); empty allows any non-empty offer. */
  readonly minAllocatable: readonly ScalarVector[];
  readonly filterGpuResources: boolean;
}

/** How the candidate offer of one agent for one role is made. */
const enum Mode {
  /** No reservations on the agent: unless quota chops it, the whole free bag moves, no copy. */
  Whole,
  /** The agent has reservations, none for this role: the unreserved part. */
  Unreserved,
  /** Reservations for this role (or an ancestor) are part of the offer. */
  Reserved,
}

// Agent visits are numbered globally, so a client stamped in an earlier visit never matches.
let visitSeq = 0;

/**
 * One allocation cycle, Mesos-style. Agents are visited in random order; for each, roles are
 * walked in weighted-DRF order (recursively through the hierarchy), then the role's frameworks
 * in DRF order, and the first framework that may take something gets everything this role may
 * have on the agent. After each grant, shares are updated in place and the walk starts again
 * for what is left on the agent (a framework gets an agent at most once per stage).
 *
 * Stage 1 runs only while some quota guarantee is unmet: roles below their guarantee get
 * guaranteed resources up to the guarantee. Stage 2 gives the rest to everyone, chopping
 * unreserved scalars to quota limits and to the headroom that unmet guarantees still need.
 */
export class AllocationCycle {
  private readonly allocations: Allocation[] = [];
  /** Stage 1 grants per agent (positions in `allocations`), so stage 2 can merge into them. */
  private readonly stage1Grants = new Map<string, number[]>();
  private readonly planner: QuotaPlanner | null;
  private stage: 1 | 2 = 2;
  private stamp = 0;

  // Scratch state of the candidate offer of the current agent and role.
  private mode = Mode.Whole;
  private chopped = false;
  private readonly take: ScalarVector = [];
  private readonly caps: ScalarVector = [];
  private readonly owed: ScalarVector = [];
  private readonly offered: ScalarVector = [];
  private reserved: ScalarVector | null = null;
  private bag: Resources | null = null;

  constructor(
    private readonly books: AllocationBooks,
    private readonly settings: CycleSettings,
    private readonly now: number,
  ) {
    const nodes = quotaNodes(books.tree);
    this.planner = nodes.length > 0 ? new QuotaPlanner(books.space, nodes, books.agents.values()) : null;
  }

  run(): Allocation[] {
    for (const framework of this.books.frameworks.values()) {
      if (framework.filters.size > 0) framework.filters.expire(this.now);
    }
    // Nobody wants offers: skip the shuffle and the walk over every agent.
    if (this.books.tree.root.childSorter.activeCount === 0) return this.allocations;
    if (this.planner?.anyUnsatisfied()) {
      this.stage = 1;
      this.visitAll();
    }
    this.stage = 2;
    this.visitAll();
    return this.allocations;
  }

  private visitAll(): void {
    const agents = this.books.agentOrder;
    shuffle(agents, this.settings.random);
    for (let i = 0; i < agents.length; i++) {
      // Stage 1 is over as soon as every guarantee is met.
      if (this.stage === 1 && i % 64 === 0 && !this.planner!.anyUnsatisfied()) return;
      this.visit(agents[i]!);
    }
  }

  private visit(agent: AgentState): void {
    if (!agent.active || agent.available.isEmpty()) return;
    // Most agents carry no reservations: when their free scalars are crumbs, no role can do better.
    const skipCrumbs = this.settings.minAllocatable.length > 0 && agent.reservedRoles.length === 0;
    if (skipCrumbs && !this.worthOffering(agent.availableUnreserved)) return;
    this.stamp = ++visitSeq;
    while (!agent.available.isEmpty() && this.tryNode(this.books.tree.root, agent)) {
      // Each pass grants once; stamps keep a framework from getting the agent twice.
    }
  }

  private tryNode(node: RoleNode, agent: AgentState): boolean {
    const order = node.childSorter.sorted();
    for (let i = 0; i < order.length; i++) {
      const entry = order[i]!;
      if (entry === node.selfEntry ? this.tryRole(node, agent) : this.tryNode(entry.owner, agent)) return true;
    }
    return false;
  }

  private tryRole(node: RoleNode, agent: AgentState): boolean {
    const frameworks = node.frameworks.sorted();
    if (frameworks.length === 0) return false;
    if (this.stage === 1 && !this.planner!.unsatisfied(node, this.owed)) return false;
    if (!this.candidate(node, agent)) return false;
    for (let i = 0; i < frameworks.length; i++) {
      const client = frameworks[i]!;
      if (client.stamp === this.stamp || !this.mayReceive(client.owner, node, agent)) continue;
      this.grant(client, node, agent);
      return true;
    }
    return false;
  }

  private mayReceive(framework: FrameworkState, node: RoleNode, agent: AgentState): boolean {
    if (this.settings.filterGpuResources && agent.hasGpus && !framework.capabilities.has('GPU_RESOURCES')) return false;
    if (framework.filters.size === 0) return true;
    return !framework.filters.isFiltered(agent.id, node.path, this.candidateBag(agent, node), this.now);
  }

  /**
   * Works out, in scalars, what `node` may get on `agent` (into `take`, `reserved`); false when
   * that is nothing worth offering. Builds no bag unless reservations are involved.
   */
  private candidate(node: RoleNode, agent: AgentState): boolean {
    this.bag = null;
    this.reserved = null;
    this.mode = agent.reservedRoles.length === 0 ? Mode.Whole : reservesFor(agent, node.path) ? Mode.Reserved : Mode.Unreserved;
    if (this.mode === Mode.Reserved) {
      this.bag = agent.available.allocatableTo(node.path);
      const split = this.books.space.split(this.bag);
      if (!isZeroVector(split.reserved)) this.reserved = split.reserved;
    }
    if (!this.chop(node, agent.availableUnreserved)) return false;
    if (this.bag && this.chopped) this.bag.subtractInPlace(this.excess(agent));
    let offered = this.take;
    if (this.reserved) {
      offered = this.offered;
      offered.length = 0;
      for (let i = 0; i < this.take.length; i++) offered.push(this.take[i]!);
      for (let i = 0; i < this.reserved.length; i++) offered[i] = (offered[i] ?? 0) + this.reserved[i]!;
    }
    if (this.settings.minAllocatable.length > 0) return this.worthOffering(offered);
    return !isZeroVector(offered) || !this.candidateBag(agent, node).isEmpty();
  }

  /** Fills `take` from the free unreserved scalars, applying quota caps; false if stage 1 gains nothing. */
  private chop(node: RoleNode, free: ScalarVector): boolean {
    const take = this.take;
    if (take.length !== free.length) take.length = free.length;
    this.chopped = false;
    if (this.planner === null) {
      for (let i = 0; i < free.length; i++) take[i] = free[i]!;
      return true;
    }
    const stage1 = this.stage === 1;
    this.planner.caps(node, this.caps, stage1 ? this.owed : null);
    for (let i = 0; i < free.length; i++) take[i] = Math.min(free[i]!, this.caps[i] ?? Infinity);
    if (stage1) {
      // Guaranteed names go only up to what is still owed; the rest follows limits and headroom.
      let progress = 0;
      for (const slot of node.quota!.guaranteeSlots) {
        if (slot >= free.length) continue;
        take[slot] = Math.min(take[slot]!, this.owed[slot]!);
        progress += take[slot]!;
      }
      if (progress === 0) return false;
    }
    for (let i = 0; i < free.length; i++) if (take[i]! < free[i]!) this.chopped = true;
    return true;
  }

  private worthOffering(offered: ScalarVector): boolean {
    const sets = this.settings.minAllocatable;
    for (let i = 0; i < sets.length; i++) if (coversVector(offered, sets[i]!)) return true;
    return sets.length === 0 && !isZeroVector(offered);
  }

  /** The candidate offer as a bag; in Whole mode unchopped, the agent's own free bag (no copy). */
  private candidateBag(agent: AgentState, node: RoleNode): Resources {
    if (this.bag) return this.bag;
    let bag: Resources;
    if (this.mode === Mode.Whole) {
      if (!this.chopped) return agent.available;
      bag = agent.available.subtract(this.excess(agent));
    } else {
      bag = this.mode === Mode.Unreserved ? agent.available.unreserved() : agent.available.allocatableTo(node.path);
      if (this.chopped) bag.subtractInPlace(this.excess(agent));
    }
    this.bag = bag;
    return bag;
  }

  private excess(agent: AgentState): Resources {
    return this.books.space.toUnreserved(difference(agent.availableUnreserved, this.take));
  }

  private grant(client: SorterClient<FrameworkState>, node: RoleNode, agent: AgentState): void {
    let resources: Resources;
    if (this.mode === Mode.Whole && !this.chopped) {
      // Hand over the free bag itself: the agent starts a fresh one, nothing is copied.
      resources = agent.available;
      agent.available = Resources.empty();
    } else {
      resources = this.candidateBag(agent, node);
      agent.available.subtractInPlace(resources);
    }
    const unreserved = this.take.slice();
    subtractVector(agent.availableUnreserved, unreserved);
    const reserved = this.reserved;
    let vector = unreserved;
    if (reserved) {
      vector = unreserved.slice();
      for (let i = 0; i < reserved.length; i++) vector[i] = (vector[i] ?? 0) + reserved[i]!;
    }
    this.books.book(client, node, agent, resources, vector, reserved);
    client.stamp = this.stamp;
    this.planner?.granted(node, unreserved);
    this.emit(client.owner.id, agent.id, node.path, resources);
  }

  private emit(frameworkId: string, agentId: string, role: string, resources: Resources): void {
    const allocation = { frameworkId, agentId, role, resources };
    if (this.stage === 1) {
      const positions = this.stage1Grants.get(agentId);
      if (positions) positions.push(this.allocations.length);
      else this.stage1Grants.set(agentId, [this.allocations.length]);
    } else if (this.stage1Grants.size > 0) {
      // One entry per framework, agent and role: a stage 2 grant joins the stage 1 one.
      for (const index of this.stage1Grants.get(agentId) ?? []) {
        const first = this.allocations[index]!;
        if (first.frameworkId !== frameworkId || first.role !== role) continue;
        this.allocations[index] = { ...allocation, resources: first.resources.add(resources) };
        return;
      }
    }
    this.allocations.push(allocation);
  }
}

function reservesFor(agent: AgentState, role: string): boolean {
  const roles = agent.reservedRoles;
  for (let i = 0; i < roles.length; i++) if (isSameOrAncestorRole(roles[i]!, role)) return true;
  return false;
}

/** Fisher-Yates in place, keeping each agent's `order` index true. */
function shuffle(agents: AgentState[], random: () => number): void {
  for (let i = agents.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = agents[i]!;
    const b = agents[j]!;
    agents[i] = b;
    agents[j] = a;
  }
  for (let i = 0; i < agents.length; i++) agents[i]!.order = i;
}
