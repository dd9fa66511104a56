import type { Clock } from '@pando/common';
import type { Resources } from '@pando/resources';

/**
 * The master's only view of allocation: it tells the allocator what exists (agents, frameworks,
 * policy) and what comes back (recovered resources), and asks it, once per cycle, who gets what.
 *
 * Semantics follow Apache Mesos: resources the allocator hands out are *allocated* to a
 * framework (offered or in use) until the master recovers them with `recoverResources`.
 * An agent's resources are never handed out twice at once.
 *
 * All methods are synchronous and must be called from one logical thread (the master's event
 * loop); none of them performs I/O. Methods that add something throw `ConflictError` for an id
 * that exists; `remove*` and `recoverResources` are idempotent (unknown ids are ignored, since
 * removals and recoveries race in a real master); other methods throw `NotFoundError` for
 * unknown ids and `InputError` for bad arguments.
 */
export interface Allocator {
  // ---- agents -------------------------------------------------------------------------------

  /** An agent registered (or re-registered): its whole `total`, nothing allocated yet. Starts active. */
  addAgent(agentId: string, total: Resources, info: AgentInfo): void;
  /** The agent is gone: its resources leave the cluster and every allocation on it is dropped. */
  removeAgent(agentId: string): void;
  /** An active agent is offered again (e.g. it came back from unreachable). Idempotent. */
  activateAgent(agentId: string): void;
  /** An inactive agent is never offered; its allocations stay until recovered. Idempotent. */
  deactivateAgent(agentId: string): void;
  /**
   * The agent's total changed without touching what is allocated (RESERVE/UNRESERVE by an
   * operator, a new resource). Throws `ConflictError` when the current allocations no longer fit
   * in `total`; for operations on allocated resources use `updateAllocation`.
   */
  updateAgentTotal(agentId: string, total: Resources): void;

  // ---- frameworks ---------------------------------------------------------------------------

  /** A framework subscribed. Starts active and unsuppressed in every role. */
  addFramework(frameworkId: string, options: FrameworkOptions): void;
  /** UPDATE_FRAMEWORK or re-subscription with other roles; dropped roles lose suppression and filters. */
  updateFramework(frameworkId: string, update: { roles: readonly string[] }): void;
  /** The framework is gone: every allocation it holds goes back to the agents. */
  removeFramework(frameworkId: string): void;
  /** Connected again: offered again. Idempotent. */
  activateFramework(frameworkId: string): void;
  /** Disconnected (failover timeout running): never offered, allocations kept. Idempotent. */
  deactivateFramework(frameworkId: string): void;
  /** SUPPRESS: stop offering to the framework in `roles` (default: all its roles). Idempotent. */
  suppressOffers(frameworkId: string, roles?: readonly string[]): void;
  /** REVIVE: offer again in `roles` (default: all) and drop its decline filters there. Idempotent. */
  reviveOffers(frameworkId: string, roles?: readonly string[]): void;

  // ---- usage ----------------------------------------------------------------------------------

  /**
   * Resources allocated to the framework on the agent come back: an offer declined, rescinded or
   * timed out, the unused part of an accepted offer, a finished task. With `filter`, the same
   * resources on that agent are not offered to that framework again for `refuseSeconds`
   * (default 5, 0 = no filter) unless it revives; other frameworks are not affected.
   * Unknown framework or agent: ignored.
   */
  recoverResources(frameworkId: string, agentId: string, resources: Resources, filter?: RecoverFilter): void;
  /**
   * Resources already in use when the master rebuilds its state (tasks reported by a
   * re-registering agent). `role` defaults to the framework's role the resources are reserved to,
   * else its first role. The framework must be added first (inactive is fine, as in Mesos);
   * throws `ConflictError` when the agent does not have them available.
   */
  trackAllocated(frameworkId: string, agentId: string, resources: Resources, role?: string): void;
  /**
   * An operation (RESERVE, UNRESERVE, CREATE...) changed allocated resources `from` into `to`:
   * both the framework's allocation on the agent and the agent's total change. `role` is the
   * allocation role the resources were offered in (taken first from the framework's allocation in
   * that role, and `to` stays allocated there); without it any allocation of the framework on the
   * agent that holds them. Throws `ConflictError` when the framework does not hold `from` there.
   */
  updateAllocation(frameworkId: string, agentId: string, from: Resources, to: Resources, role?: string): void;

  // ---- policy ---------------------------------------------------------------------------------

  /** Sets the weights of the given roles (others keep theirs; default 1). Weights are > 0. */
  setWeights(weights: Readonly<Record<string, number>>): void;
  /**
   * Sets a role's quota (and its sub-roles'): unreserved scalars only, guarantee <= limit per
   * name. A name absent from `limit` is unlimited; note that a zero quantity cannot be
   * expressed (Resources drops empty entries), so "none at all" needs a tiny limit like 0.001.
   */
  setQuota(role: string, quota: { guarantee: Resources; limit: Resources }): void;
  /** The role goes back to no guarantee and no limit. Idempotent. */
  removeQuota(role: string): void;

  // ---- allocation -----------------------------------------------------------------------------

  /**
   * Runs one allocation cycle at time `now` (ms, the clock of decline filters) and returns
   * what was allocated, at most one entry per framework, agent and role. The entries are already
   * booked as allocated: the master turns them into offers and later recovers what is not used.
   */
  allocate(now: number): Allocation[];

  // ---- introspection (state endpoint, tests) -------------------------------------------------

  /** Every known role (with frameworks, reservations, a quota or a weight). */
  roleSummaries(): RoleSummary[];
  /** What the framework holds, over all agents or on one; empty when unknown. */
  frameworkAllocated(frameworkId: string, agentId?: string): Resources;
  /** What the agent has that is not allocated; undefined when unknown. */
  agentAvailable(agentId: string): Resources | undefined;
}

/**
 * One grant: `resources` of `agentId`, allocated to `frameworkId` in `role`.
 *
 * `resources` is shared with the allocator's books (copying every offer would cost more than the
 * rest of a cycle): treat it as immutable, i.e. never call the `*InPlace` methods on it.
 */
export interface Allocation {
  readonly frameworkId: string;
  readonly agentId: string;
  readonly role: string;
  readonly resources: Resources;
}

export interface AgentInfo {
  hostname: string;
  attributes: Readonly<Record<string, string | number>>;
}

export interface FrameworkOptions {
  roles: readonly string[];
  /** Mesos capability names, e.g. 'GPU_RESOURCES' (see `AllocatorOptions.filterGpuResources`). */
  capabilities?: readonly string[];
}

export interface RecoverFilter {
  /** Seconds; negative or not a number means the default (5); 0 means no filter. */
  refuseSeconds?: number;
}

export interface RoleSummary {
  role: string;
  weight: number;
  /** Allocated to frameworks in exactly this role (not its sub-roles). */
  allocated: Resources;
  /**
   * The role's quota and what counts against it (Mesos' consumed quota): reservations plus the
   * unreserved allocation of the role and its sub-roles, as unreserved scalar quantities.
   */
  quota?: { guarantee: Resources; limit: Resources; consumed: Resources };
  /** Frameworks subscribed to this role. */
  frameworks: string[];
}

export interface AllocatorOptions {
  /** Time for decline filters set by `recoverResources`; default the system clock. */
  clock?: Pick<Clock, 'now'>;
  /** Random source for the per-cycle agent shuffle (tests pass a seeded one); default Math.random. */
  random?: () => number;
  /**
   * An offer must hold at least one of these quantity sets (Mesos `min_allocatable_resources`),
   * so nobody is offered crumbs such as ports without cpus. Default `[{cpus: 0.01}, {mem: 32}]`;
   * `[]` allows any non-empty offer.
   */
  minAllocatable?: ReadonlyArray<Readonly<Record<string, number>>>;
  /**
   * Mesos' `--filter_gpu_resources`: agents with gpus are offered only to frameworks with the
   * GPU_RESOURCES capability. Default false.
   */
  filterGpuResources?: boolean;
}
