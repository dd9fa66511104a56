import { Resources } from '@pando/resources';
import type { AgentInfo } from './allocator.interface';
import type { SorterClient } from './drf-sorter';
import { OfferFilters } from './offer-filters';
import type { ScalarVector } from './scalar-space';

/**
 * The allocator's books. Invariant per agent: available + (resources of every record on it) ==
 * total. Records hold immutable snapshots: a record's `resources` may be the very object handed
 * out in an Allocation, so it is replaced, never mutated in place. `available` is private to the
 * allocator and is the only bag ever mutated in place.
 */
export class AgentState {
  active = true;
  total = Resources.empty();
  available = Resources.empty();
  /** Unreserved scalars of `available`: what the hot loop reads instead of the bag. */
  availableUnreserved: ScalarVector = [];
  totalVector: ScalarVector = [];
  /** Reserved scalars of `total` per role; drives quota consumption and the reservation path. */
  reservedByRole = new Map<string, ScalarVector>();
  /** Roles holding reservations in `total`; empty means every role may take everything. */
  reservedRoles: string[] = [];
  /** Whether `total` has gpus (for `filterGpuResources`). */
  hasGpus = false;
  readonly records: AllocationRecord[] = [];
  /** Position in the allocator's agent order (swap-removed, shuffled per cycle). */
  order = -1;

  constructor(
    readonly id: string,
    public info: AgentInfo,
  ) {}
}

export class FrameworkState {
  active = true;
  readonly suppressed = new Set<string>();
  readonly records: AllocationRecord[] = [];
  /** Entries in the framework sorter of every role it is subscribed to or still holds resources in. */
  readonly clients = new Map<string, SorterClient<FrameworkState>>();
  readonly filters = new OfferFilters();

  constructor(
    readonly id: string,
    public roles: Set<string>,
    public capabilities: Set<string>,
  ) {}

  /** Whether this framework should be in the sort order of `role`. */
  wantsOffers(role: string): boolean {
    return this.active && this.roles.has(role) && !this.suppressed.has(role);
  }
}

/** Resources of one agent allocated to one framework in one role. */
export interface AllocationRecord {
  readonly framework: FrameworkState;
  readonly agent: AgentState;
  readonly role: string;
  resources: Resources;
  /** Scalars of `resources`, all roles; and the reserved part (null when none). */
  vector: ScalarVector;
  reservedVector: ScalarVector | null;
  /** Positions in `agent.records` and `framework.records`, for O(1) removal without hashing. */
  agentSlot: number;
  frameworkSlot: number;
}
