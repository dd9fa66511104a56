import { ConflictError, InputError, NotFoundError, systemClock } from '@pando/common';
import { isSameOrAncestorRole, isValidResourceName, isValidRole, Resources, UNRESERVED_ROLE } from '@pando/resources';
import { auditBooks } from './allocation-audit';
import { AllocationBooks } from './allocation-books';
import { AllocationCycle, type CycleSettings } from './allocation-cycle';
import type {
  AgentInfo,
  Allocation,
  Allocator,
  AllocatorOptions,
  FrameworkOptions,
  RecoverFilter,
  RoleSummary,
} from './allocator.interface';
import { FrameworkState, type AgentState } from './allocator.state';
import { refuseMillis } from './offer-filters';
import { compileQuota, consumedQuota, quotaProblems, type Quota } from './quota';

/** Mesos' default `min_allocatable_resources`: a hundredth of a cpu or 32 MB of memory. */
export const DEFAULT_MIN_ALLOCATABLE: ReadonlyArray<Readonly<Record<string, number>>> = [{ cpus: 0.01 }, { mem: 32 }];

/**
 * The default allocator: weighted hierarchical DRF over roles, then DRF over the frameworks of
 * a role, with quota guarantees and limits, static and dynamic reservations, decline filters and
 * suppress/revive (see AllocationCycle for one cycle). This class checks arguments and keeps the
 * books; all accounting lives in AllocationBooks.
 */
export class HierarchicalDrfAllocator implements Allocator {
  private readonly books = new AllocationBooks();
  private readonly clock: Pick<typeof systemClock, 'now'>;
  private readonly settings: CycleSettings;

  constructor(options: AllocatorOptions = {}) {
    this.clock = options.clock ?? systemClock;
    const minAllocatable = options.minAllocatable ?? DEFAULT_MIN_ALLOCATABLE;
    const problems = minAllocatable.flatMap((set, i) => quantityProblems(`minAllocatable[${i}]`, set));
    if (problems.length > 0) throw new InputError('invalid allocator options', problems);
    this.settings = {
      random: options.random ?? Math.random,
      minAllocatable: minAllocatable.map((set) => this.books.space.fromRecord(set)),
      filterGpuResources: options.filterGpuResources ?? false,
    };
  }

  // ---- agents -------------------------------------------------------------------------------

  addAgent(agentId: string, total: Resources, info: AgentInfo): void {
    if (this.books.agents.has(agentId)) throw new ConflictError(`agent '${agentId}' is already known to the allocator`);
    this.books.addAgent(agentId, { hostname: info.hostname, attributes: { ...info.attributes } }, total);
  }

  removeAgent(agentId: string): void {
    const agent = this.books.agents.get(agentId);
    if (agent) this.books.removeAgent(agent);
  }

  activateAgent(agentId: string): void {
    this.agent(agentId).active = true;
  }

  deactivateAgent(agentId: string): void {
    this.agent(agentId).active = false;
  }

  updateAgentTotal(agentId: string, total: Resources): void {
    const agent = this.agent(agentId);
    const allocated = this.books.allocatedOn(agent);
    if (!total.contains(allocated)) {
      throw new ConflictError(
        `cannot set the total of agent '${agentId}' to ${total.toString()}: ${allocated.toString()} is allocated there ` +
          '(for operations on allocated resources use updateAllocation)',
      );
    }
    this.books.setTotal(agent, total, allocated);
  }

  // ---- frameworks ---------------------------------------------------------------------------

  addFramework(frameworkId: string, options: FrameworkOptions): void {
    if (this.books.frameworks.has(frameworkId)) {
      throw new ConflictError(`framework '${frameworkId}' is already known to the allocator`);
    }
    checkRoles(`framework '${frameworkId}'`, options.roles);
    const framework = new FrameworkState(frameworkId, new Set(options.roles), new Set(options.capabilities ?? []));
    this.books.frameworks.set(frameworkId, framework);
    for (const role of framework.roles) this.books.syncClient(framework, role);
  }

  updateFramework(frameworkId: string, update: { roles: readonly string[] }): void {
    const framework = this.framework(frameworkId);
    checkRoles(`framework '${frameworkId}'`, update.roles);
    const before = framework.roles;
    framework.roles = new Set(update.roles);
    const dropped = new Set([...before].filter((role) => !framework.roles.has(role)));
    for (const role of dropped) framework.suppressed.delete(role);
    if (dropped.size > 0) framework.filters.clear(dropped);
    for (const role of new Set([...before, ...framework.roles])) this.books.syncClient(framework, role);
  }

  removeFramework(frameworkId: string): void {
    const framework = this.books.frameworks.get(frameworkId);
    if (framework) this.books.removeFramework(framework);
  }

  activateFramework(frameworkId: string): void {
    this.setFrameworkActive(this.framework(frameworkId), true);
  }

  deactivateFramework(frameworkId: string): void {
    this.setFrameworkActive(this.framework(frameworkId), false);
  }

  suppressOffers(frameworkId: string, roles?: readonly string[]): void {
    const framework = this.framework(frameworkId);
    for (const role of roles ?? [...framework.roles]) {
      if (!framework.roles.has(role)) continue;
      framework.suppressed.add(role);
      this.books.syncClient(framework, role);
    }
  }

  reviveOffers(frameworkId: string, roles?: readonly string[]): void {
    const framework = this.framework(frameworkId);
    const targets = roles ?? [...framework.roles];
    framework.filters.clear(roles ? new Set(roles) : undefined);
    for (const role of targets) {
      if (!framework.roles.has(role)) continue;
      framework.suppressed.delete(role);
      this.books.syncClient(framework, role);
    }
  }

  private setFrameworkActive(framework: FrameworkState, active: boolean): void {
    framework.active = active;
    for (const role of [...framework.clients.keys()]) this.books.syncClient(framework, role);
  }

  // ---- usage ----------------------------------------------------------------------------------

  recoverResources(frameworkId: string, agentId: string, resources: Resources, filter?: RecoverFilter): void {
    const framework = this.books.frameworks.get(frameworkId);
    const agent = this.books.agents.get(agentId);
    if (!framework || !agent || resources.isEmpty()) return;
    const roles = this.books.recover(framework, agent, resources);
    if (!filter) return;
    const millis = refuseMillis(filter.refuseSeconds);
    if (millis <= 0) return;
    const expiresAt = this.clock.now() + millis;
    const refused = Resources.empty().addInPlace(resources);
    for (const role of roles.size > 0 ? roles : framework.roles) framework.filters.add(agentId, role, refused, expiresAt);
  }

  trackAllocated(frameworkId: string, agentId: string, resources: Resources, role?: string): void {
    const framework = this.framework(frameworkId);
    const agent = this.agent(agentId);
    const chosen = role ?? defaultRole(framework, resources);
    checkRoles(`framework '${frameworkId}'`, [chosen]);
    this.books.track(framework, agent, resources, chosen);
    this.books.syncClient(framework, chosen);
  }

  updateAllocation(frameworkId: string, agentId: string, from: Resources, to: Resources, role?: string): void {
    const framework = this.framework(frameworkId);
    const agent = this.agent(agentId);
    if (role !== undefined) checkRoles(`framework '${frameworkId}'`, [role]);
    this.books.convert(framework, agent, from, to, role);
    if (role !== undefined) this.books.syncClient(framework, role);
  }

  // ---- policy ---------------------------------------------------------------------------------

  setWeights(weights: Readonly<Record<string, number>>): void {
    const problems: string[] = [];
    for (const [role, weight] of Object.entries(weights)) {
      if (role === UNRESERVED_ROLE || !isValidRole(role)) problems.push(`invalid role '${role}'`);
      if (!Number.isFinite(weight) || weight <= 0) problems.push(`${role}: weight ${weight} is not a positive number`);
    }
    if (problems.length > 0) throw new InputError('invalid weights', problems);
    for (const [role, weight] of Object.entries(weights)) this.books.tree.setWeight(role, weight);
  }

  setQuota(role: string, quota: Quota): void {
    const problems = quotaProblems(role, quota);
    if (problems.length > 0) throw new InputError(`invalid quota for role '${role}'`, problems);
    this.books.tree.ensure(role).quota = compileQuota(this.books.space, quota);
  }

  removeQuota(role: string): void {
    const node = this.books.tree.get(role);
    if (!node) return;
    node.quota = null;
    this.books.tree.prune(node);
  }

  // ---- allocation -----------------------------------------------------------------------------

  allocate(now: number): Allocation[] {
    return new AllocationCycle(this.books, this.settings, now).run();
  }

  // ---- introspection --------------------------------------------------------------------------

  roleSummaries(): RoleSummary[] {
    const allocated = new Map<string, Resources>();
    const frameworks = new Map<string, string[]>();
    for (const framework of this.books.frameworks.values()) {
      for (const role of framework.roles) push(frameworks, role, framework.id);
      for (const record of framework.records) {
        const sum = allocated.get(record.role);
        if (sum) sum.addInPlace(record.resources);
        else allocated.set(record.role, Resources.empty().addInPlace(record.resources));
      }
    }
    const tree = this.books.tree;
    const roles = new Set([...[...tree.all()].map((node) => node.path), ...tree.weightedRoles(), ...frameworks.keys()]);
    return [...roles].sort().map((role) => {
      const node = tree.get(role);
      const quota = node?.quota;
      const summary: RoleSummary = {
        role,
        weight: tree.weightOf(role),
        allocated: allocated.get(role) ?? Resources.empty(),
        frameworks: (frameworks.get(role) ?? []).sort(),
      };
      if (quota) {
        const consumed = consumedQuota(this.books.space, node!);
        summary.quota = { guarantee: quota.guarantee, limit: quota.limit, consumed };
      }
      return summary;
    });
  }

  frameworkAllocated(frameworkId: string, agentId?: string): Resources {
    const sum = Resources.empty();
    const framework = this.books.frameworks.get(frameworkId);
    if (!framework) return sum;
    for (const record of framework.records) if (agentId === undefined || record.agent.id === agentId) sum.addInPlace(record.resources);
    return sum;
  }

  agentAvailable(agentId: string): Resources | undefined {
    const agent = this.books.agents.get(agentId);
    return agent ? Resources.empty().addInPlace(agent.available) : undefined;
  }

  /** Every inconsistency in the incrementally kept aggregates (slow; tests and debugging). */
  audit(): string[] {
    return auditBooks(this.books);
  }

  private agent(agentId: string): AgentState {
    const agent = this.books.agents.get(agentId);
    if (!agent) throw new NotFoundError(`agent '${agentId}' is not known to the allocator`);
    return agent;
  }

  private framework(frameworkId: string): FrameworkState {
    const framework = this.books.frameworks.get(frameworkId);
    if (!framework) throw new NotFoundError(`framework '${frameworkId}' is not known to the allocator`);
    return framework;
  }
}

function checkRoles(subject: string, roles: readonly string[]): void {
  const bad = roles.filter((role) => !isValidRole(role));
  if (bad.length > 0) throw new InputError(`invalid roles for ${subject}`, bad.map((role) => `invalid role '${role}'`));
}

function quantityProblems(label: string, set: Readonly<Record<string, number>>): string[] {
  return Object.entries(set).flatMap(([name, value]) => [
    ...(isValidResourceName(name) ? [] : [`${label}: invalid name '${name}'`]),
    ...(Number.isFinite(value) && value >= 0 ? [] : [`${label}: ${name} must be a non-negative number`]),
  ]);
}

/** The role resources in use belong to: the framework role they are reserved for, else its first. */
function defaultRole(framework: FrameworkState, resources: Resources): string {
  const reservedTo = resources
    .toJson()
    .map((entry) => entry.role ?? UNRESERVED_ROLE)
    .filter((role) => role !== UNRESERVED_ROLE);
  const roles = [...framework.roles];
  const match = roles.find((role) => reservedTo.every((reserved) => isSameOrAncestorRole(reserved, role)));
  const chosen = match ?? roles[0];
  if (chosen === undefined) throw new InputError(`cannot track resources for framework '${framework.id}': it has no role`);
  return chosen;
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
