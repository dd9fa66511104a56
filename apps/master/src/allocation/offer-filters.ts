import type { Resources } from '@pando/resources';

/** Mesos caps refuse filters at a year; longer values would only be a typo. */
export const MAX_REFUSE_SECONDS = 365 * 24 * 3600;
export const DEFAULT_REFUSE_SECONDS = 5;

/**
 * Seconds a decline filter lasts: absent, negative or not a number falls back to the default
 * (as Mesos does for invalid values), zero means no filter, huge values are capped.
 */
export function refuseMillis(refuseSeconds: number | undefined, fallbackSeconds = DEFAULT_REFUSE_SECONDS): number {
  const seconds = refuseSeconds === undefined || !Number.isFinite(refuseSeconds) || refuseSeconds < 0 ? fallbackSeconds : refuseSeconds;
  return Math.min(seconds, MAX_REFUSE_SECONDS) * 1000;
}

interface RefuseFilter {
  readonly role: string;
  readonly resources: Resources;
  readonly expiresAt: number;
}

/**
 * One framework's decline filters, per agent. As in Mesos, a filter holds back an offer only
 * while the declined resources still cover it: once the agent has more to give (a task ended,
 * another framework declined), the framework sees the agent again before the filter expires.
 */
export class OfferFilters {
  private readonly byAgent = new Map<string, RefuseFilter[]>();

  get size(): number {
    return this.byAgent.size;
  }

  add(agentId: string, role: string, resources: Resources, expiresAt: number): void {
    const filters = this.byAgent.get(agentId);
    const filter = { role, resources, expiresAt };
    if (filters) filters.push(filter);
    else this.byAgent.set(agentId, [filter]);
  }

  /** True when an unexpired filter for `role` on `agentId` covers the whole `offer`. */
  isFiltered(agentId: string, role: string, offer: Resources, now: number): boolean {
    const filters = this.byAgent.get(agentId);
    if (!filters) return false;
    for (const filter of filters) {
      if (filter.role === role && now < filter.expiresAt && filter.resources.contains(offer)) return true;
    }
    return false;
  }

  /** Drops filters that have run out. */
  expire(now: number): void {
    for (const [agentId, filters] of this.byAgent) {
      const kept = filters.filter((filter) => now < filter.expiresAt);
      if (kept.length === 0) this.byAgent.delete(agentId);
      else if (kept.length !== filters.length) this.byAgent.set(agentId, kept);
    }
  }

  /** Removes the filters of the given roles, or all of them (revive). */
  clear(roles?: ReadonlySet<string>): void {
    if (!roles) {
      this.byAgent.clear();
      return;
    }
    for (const [agentId, filters] of this.byAgent) {
      const kept = filters.filter((filter) => !roles.has(filter.role));
      if (kept.length === 0) this.byAgent.delete(agentId);
      else this.byAgent.set(agentId, kept);
    }
  }

  removeAgent(agentId: string): void {
    this.byAgent.delete(agentId);
  }
}
