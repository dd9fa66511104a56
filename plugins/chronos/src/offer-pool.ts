import type { Offer } from '@pando/protocol';
import { Resources } from '@pando/resources';

/**
 * The offers held for one agent, used together: one ACCEPT may use several offers of one agent,
 * so the fragments an agent is offered in (what an ACCEPT left, what a finished task freed)
 * make one pool instead of many small offers.
 */
export interface AgentOffers {
  readonly agentId: string;
  /** The latest offer: host name, attributes and executors of the agent. */
  sample: Offer;
  readonly offers: Map<string, Offer>;
  /** What is left of the offers after the tasks placed on them this round. */
  remaining: Resources;
  /** When the oldest of the offers arrived. */
  receivedAtMs: number;
}

/** Held offers by agent. */
export class OfferPool {
  private readonly byAgent = new Map<string, AgentOffers>();
  private readonly agentOf = new Map<string, string>();

  /** Agents with held offers. */
  get size(): number {
    return this.byAgent.size;
  }

  /** Offers held. */
  get offerCount(): number {
    return this.agentOf.size;
  }

  add(offer: Offer, nowMs: number): void {
    if (this.agentOf.has(offer.id)) return;
    this.agentOf.set(offer.id, offer.agentId);
    const group = this.byAgent.get(offer.agentId);
    if (!group) {
      this.byAgent.set(offer.agentId, { agentId: offer.agentId, sample: offer, offers: new Map([[offer.id, offer]]), remaining: Resources.fromJson(offer.resources), receivedAtMs: nowMs });
      return;
    }
    group.offers.set(offer.id, offer);
    group.sample = offer;
    group.remaining.addInPlace(Resources.fromJson(offer.resources));
  }

  /** An offer was rescinded: its agent's pool loses its resources. */
  remove(offerId: string): void {
    const agentId = this.agentOf.get(offerId);
    if (agentId === undefined) return;
    this.agentOf.delete(offerId);
    const group = this.byAgent.get(agentId)!;
    group.offers.delete(offerId);
    if (group.offers.size === 0) {
      this.byAgent.delete(agentId);
      return;
    }
    group.remaining = Resources.empty();
    for (const offer of group.offers.values()) group.remaining.addInPlace(Resources.fromJson(offer.resources));
  }

  /** Takes the agent's offers out (to launch on them or decline them). */
  take(agentId: string): AgentOffers | undefined {
    const group = this.byAgent.get(agentId);
    if (!group) return undefined;
    this.byAgent.delete(agentId);
    for (const id of group.offers.keys()) this.agentOf.delete(id);
    return group;
  }

  /** Puts back an agent's offers taken for a launch round that did not use them. */
  restore(group: AgentOffers): void {
    if (this.byAgent.has(group.agentId)) {
      for (const offer of group.offers.values()) this.add(offer, group.receivedAtMs);
      return;
    }
    this.byAgent.set(group.agentId, group);
    for (const id of group.offers.keys()) this.agentOf.set(id, group.agentId);
  }

  agents(): AgentOffers[] {
    return [...this.byAgent.values()];
  }

  clear(): void {
    this.byAgent.clear();
    this.agentOf.clear();
  }
}
