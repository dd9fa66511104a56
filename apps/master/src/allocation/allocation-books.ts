import { ConflictError } from '@pando/common';
import { Resources, UNRESERVED_ROLE } from '@pando/resources';
import { AgentState, type AllocationRecord, type FrameworkState } from './allocator.state';
import type { ClusterTotals, SorterClient } from './drf-sorter';
import { RoleTree, type RoleNode } from './role-tree';
import {
  addAt,
  addVector,
  difference,
  isZeroVector,
  ScalarSpace,
  subtractVector,
  toMillis,
  type ScalarVector,
} from './scalar-space';

/**
 * The allocator's accounting: agents, frameworks, allocation records and every aggregate kept in
 * step with them (cluster totals, per-agent free scalars, role and framework shares). The public
 * allocator validates and delegates here; the allocation cycle reads the same structures and
 * books its grants through `book`.
 */
export class AllocationBooks {
  readonly agents = new Map<string, AgentState>();
  /** Agents in visiting order; shuffled by every cycle. */
  readonly agentOrder: AgentState[] = [];
  readonly frameworks = new Map<string, FrameworkState>();
  readonly space = new ScalarSpace();
  readonly totals: ClusterTotals = { vector: [], version: 0 };
  readonly tree = new RoleTree(this.totals);

  // ---- agents -------------------------------------------------------------------------------

  addAgent(id: string, info: AgentState['info'], total: Resources): AgentState {
    const agent = new AgentState(id, info);
    this.setTotal(agent, total, Resources.empty());
    agent.order = this.agentOrder.length;
    this.agentOrder.push(agent);
    this.agents.set(id, agent);
    return agent;
  }

  removeAgent(agent: AgentState): void {
    for (const record of agent.records.slice()) this.dropRecord(record, false);
    this.applyTotal(agent, Resources.empty());
    const last = this.agentOrder.pop()!;
    if (last !== agent) {
      this.agentOrder[agent.order] = last;
      last.order = agent.order;
    }
    this.agents.delete(agent.id);
    for (const framework of this.frameworks.values()) framework.filters.removeAgent(agent.id);
  }

  /** Sum of everything allocated on the agent (a fresh bag). */
  allocatedOn(agent: AgentState): Resources {
    const sum = Resources.empty();
    for (const record of agent.records) sum.addInPlace(record.resources);
    return sum;
  }

  /** Replaces the agent's total; `allocated` must fit in it (callers check). */
  setTotal(agent: AgentState, total: Resources, allocated: Resources): void {
    this.applyTotal(agent, total);
    agent.available = total.subtract(allocated);
    this.refreshAvailable(agent);
  }

  /** Re-derives the free unreserved scalars from the bag (off the hot path). */
  refreshAvailable(agent: AgentState): void {
    const split = this.space.split(agent.available);
    agent.availableUnreserved = difference(split.all, split.reserved);
  }

  /** Moves the agent's contribution to cluster totals and role reservations to `total`. */
  private applyTotal(agent: AgentState, total: Resources): void {
    subtractVector(this.totals.vector, agent.totalVector);
    for (const [role, vector] of agent.reservedByRole) this.tree.removeReservation(role, vector);
    agent.total = total;
    agent.totalVector = this.space.vector(total);
    agent.reservedByRole = this.reservationsOf(total);
    agent.reservedRoles = [...new Set(total.toJson().map((entry) => entry.role ?? UNRESERVED_ROLE))].filter(
      (role) => role !== UNRESERVED_ROLE,
    );
    agent.hasGpus = total.scalar('gpus') > 0;
    addVector(this.totals.vector, agent.totalVector);
    for (const [role, vector] of agent.reservedByRole) this.tree.addReservation(role, vector);
    this.totals.version++;
  }

  private reservationsOf(total: Resources): Map<string, ScalarVector> {
    const byRole = new Map<string, ScalarVector>();
    for (const entry of total.toJson()) {
      if (entry.type !== 'SCALAR' || !entry.role || entry.role === UNRESERVED_ROLE) continue;
      let vector = byRole.get(entry.role);
      if (!vector) byRole.set(entry.role, (vector = this.space.zero()));
      addAt(vector, this.space.slot(entry.name), toMillis(entry.scalar?.value ?? 0));
    }
    return byRole;
  }

  // ---- framework clients --------------------------------------------------------------------

  /** The framework's entry in the sorter of `role`, created (inactive) on first use. */
  client(framework: FrameworkState, role: string): SorterClient<FrameworkState> {
    let client = framework.clients.get(role);
    if (!client) {
      const node = this.tree.ensure(role);
      client = node.frameworks.client(framework);
      framework.clients.set(role, client);
      node.trackedFrameworks++;
    }
    return client;
  }

  /** Puts the framework in or out of the sort order of `role` per its flags. */
  syncClient(framework: FrameworkState, role: string): void {
    const client = this.client(framework, role);
    const node = this.tree.get(role)!;
    if (framework.wantsOffers(role)) node.frameworks.activate(client);
    else node.frameworks.deactivate(client);
    this.tree.syncActivity(node);
    this.dropClientIfIdle(framework, role);
  }

  /** Forgets a client that is neither subscribed nor holding anything. */
  dropClientIfIdle(framework: FrameworkState, role: string): void {
    const client = framework.clients.get(role);
    if (!client || framework.roles.has(role)) return;
    for (const record of framework.records) if (record.role === role) return;
    const node = this.tree.get(role)!;
    node.frameworks.deactivate(client);
    this.tree.syncActivity(node);
    framework.clients.delete(role);
    node.trackedFrameworks--;
    this.tree.prune(node);
  }

  removeFramework(framework: FrameworkState): void {
    for (const record of framework.records.slice()) this.dropRecord(record, true);
    framework.roles = new Set();
    for (const role of [...framework.clients.keys()]) this.dropClientIfIdle(framework, role);
    this.frameworks.delete(framework.id);
  }

  // ---- records ------------------------------------------------------------------------------

  /**
   * Books resources already taken out of `agent.available` (and its free scalars) as allocated
   * to the framework. The hot path: vectors only, `resources` is stored as given.
   */
  book(
    client: SorterClient<FrameworkState>,
    node: RoleNode,
    agent: AgentState,
    resources: Resources,
    vector: ScalarVector,
    reservedVector: ScalarVector | null,
  ): void {
    const framework = client.owner;
    const record: AllocationRecord = {
      framework,
      agent,
      role: node.path,
      resources,
      vector,
      reservedVector,
      agentSlot: agent.records.length,
      frameworkSlot: framework.records.length,
    };
    agent.records.push(record);
    framework.records.push(record);
    node.frameworks.allocated(client, vector);
    this.tree.allocated(node, vector, reservedVector);
  }

  /** Books resources in use (state recovery): they must be available on the agent. */
  track(framework: FrameworkState, agent: AgentState, resources: Resources, role: string): void {
    if (!agent.available.contains(resources)) {
      throw new ConflictError(
        `cannot track ${resources.toString()} for framework '${framework.id}' on agent '${agent.id}': only ${agent.available.toString()} is available`,
      );
    }
    const copy = Resources.empty().addInPlace(resources);
    agent.available.subtractInPlace(copy);
    const split = this.space.split(copy);
    subtractVector(agent.availableUnreserved, difference(split.all, split.reserved));
    const client = this.client(framework, role);
    this.book(client, this.tree.get(role)!, agent, copy, split.all, isZeroVector(split.reserved) ? null : split.reserved);
  }

  /**
   * Returns `resources` held by the framework on the agent to the agent; returns the roles they
   * came from. Prefers one record that holds them all (the usual case: a declined offer is
   * exactly one record), else takes from each record what it has.
   */
  recover(framework: FrameworkState, agent: AgentState, resources: Resources): Set<string> {
    const roles = new Set<string>();
    const mine = agent.records.filter((record) => record.framework === framework);
    const whole = mine.find((record) => record.resources === resources || record.resources.contains(resources));
    if (whole) {
      this.takeFrom(whole, resources);
      roles.add(whole.role);
    } else {
      let remaining = resources;
      for (const record of mine) {
        if (remaining.isEmpty()) break;
        const removed = record.resources.subtract(record.resources.subtract(remaining));
        if (removed.isEmpty()) continue;
        this.takeFrom(record, removed);
        remaining = remaining.subtract(removed);
        roles.add(record.role);
      }
    }
    for (const role of roles) this.dropClientIfIdle(framework, role);
    return roles;
  }

  /**
   * Converts `from` (held by the framework on the agent) into `to`, in its allocation and in the
   * agent's total, e.g. RESERVE turning unreserved cpus into cpus reserved to a role. With `role`,
   * the framework's allocation in that role is used first. One record that holds all of `from` is
   * rebuilt in place (the usual case: an offer is one record); otherwise `from` is taken from
   * several records and `to` booked as one new record in `role` (or the first record's role).
   */
  convert(framework: FrameworkState, agent: AgentState, from: Resources, to: Resources, role?: string): void {
    const mine = agent.records.filter((r) => r.framework === framework);
    if (role !== undefined) mine.sort((a, b) => Number(b.role === role) - Number(a.role === role));
    const whole = mine.find((r) => r.resources.contains(from));
    if (whole) {
      const resources = whole.resources.subtract(from).add(to);
      this.unbook(whole, whole.vector, whole.reservedVector);
      this.dropFromIndexes(whole);
      this.applyTotal(agent, agent.total.subtract(from).add(to));
      this.bookCopy(framework, agent, whole.role, resources);
      return;
    }
    const held = Resources.empty();
    for (const record of mine) held.addInPlace(record.resources);
    if (mine.length === 0 || !held.contains(from)) {
      throw new ConflictError(
        `cannot update allocation of framework '${framework.id}' on agent '${agent.id}': it does not hold ${from.toString()}`,
      );
    }
    const target = role ?? mine[0]!.role;
    const touched = new Set<string>();
    let left = from;
    for (const record of mine) {
      if (left.isEmpty()) break;
      const part = record.resources.subtract(record.resources.subtract(left));
      if (part.isEmpty()) continue;
      touched.add(record.role);
      this.takeFrom(record, part, false);
      left = left.subtract(part);
    }
    this.applyTotal(agent, agent.total.subtract(from).add(to));
    this.bookCopy(framework, agent, target, to);
    for (const touchedRole of touched) this.dropClientIfIdle(framework, touchedRole);
  }

  /** Books a copy of `resources` as a new record of the framework in `role` (off the hot path). */
  private bookCopy(framework: FrameworkState, agent: AgentState, role: string, resources: Resources): void {
    const copy = Resources.empty().addInPlace(resources);
    const split = this.space.split(copy);
    const client = this.client(framework, role);
    this.book(client, this.tree.get(role)!, agent, copy, split.all, isZeroVector(split.reserved) ? null : split.reserved);
  }

  /**
   * Takes `removed` (contained in the record) out of the record and gives it back to the agent,
   * or (`giveBack` false) lets it vanish because an operation converts it.
   */
  private takeFrom(record: AllocationRecord, removed: Resources, giveBack = true): void {
    if (removed === record.resources || removed.equals(record.resources)) {
      if (giveBack) this.dropRecord(record, true);
      else {
        this.unbook(record, record.vector, record.reservedVector);
        this.dropFromIndexes(record);
      }
      return;
    }
    const split = this.space.split(removed);
    const reserved = isZeroVector(split.reserved) ? null : split.reserved;
    this.unbook(record, split.all, reserved);
    subtractVector(record.vector, split.all);
    if (reserved && record.reservedVector) subtractVector(record.reservedVector, reserved);
    record.resources = record.resources.subtract(removed);
    if (giveBack) this.giveBack(record.agent, removed, split.all, reserved);
    if (record.resources.isEmpty()) this.dropFromIndexes(record);
  }

  /** Drops a whole record, giving its resources back unless the agent itself is going away. */
  private dropRecord(record: AllocationRecord, giveBack: boolean): void {
    this.unbook(record, record.vector, record.reservedVector);
    this.dropFromIndexes(record);
    if (giveBack) this.giveBack(record.agent, record.resources, record.vector, record.reservedVector);
    else this.dropClientIfIdle(record.framework, record.role);
  }

  private giveBack(agent: AgentState, resources: Resources, all: ScalarVector, reserved: ScalarVector | null): void {
    agent.available.addInPlace(resources);
    addVector(agent.availableUnreserved, all);
    if (reserved) subtractVector(agent.availableUnreserved, reserved);
  }

  private unbook(record: AllocationRecord, vector: ScalarVector, reserved: ScalarVector | null): void {
    const client = record.framework.clients.get(record.role)!;
    const node = this.tree.get(record.role)!;
    node.frameworks.unallocated(client, vector);
    this.tree.unallocated(node, vector, reserved);
  }

  private dropFromIndexes(record: AllocationRecord): void {
    const onAgent = record.agent.records;
    const lastOnAgent = onAgent.pop()!;
    if (lastOnAgent !== record) {
      onAgent[record.agentSlot] = lastOnAgent;
      lastOnAgent.agentSlot = record.agentSlot;
    }
    const ofFramework = record.framework.records;
    const lastOfFramework = ofFramework.pop()!;
    if (lastOfFramework !== record) {
      ofFramework[record.frameworkSlot] = lastOfFramework;
      lastOfFramework.frameworkSlot = record.frameworkSlot;
    }
  }
}
