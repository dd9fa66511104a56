import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Resources } from '@pando/resources';
import type { OfferRecord } from './offer.record';

const NONE: ReadonlySet<OfferRecord> = new Set();

/**
 * Outstanding offers by id, agent and framework. An offer leaves the book exactly once (used,
 * declined, rescinded or timed out), which is what makes a second ACCEPT of it fail.
 */
@Injectable()
export class OfferBook {
  private readonly byId = new Map<string, OfferRecord>();
  private readonly byAgent = new Map<string, Set<OfferRecord>>();
  private readonly byFramework = new Map<string, Set<OfferRecord>>();
  // Fresh per process: an offer id of an earlier run never matches one of this run.
  private readonly idPrefix = randomUUID();
  private sequence = 0;

  get size(): number {
    return this.byId.size;
  }

  newId(): string {
    return `${this.idPrefix}-O${this.sequence++}`;
  }

  get(offerId: string): OfferRecord | undefined {
    return this.byId.get(offerId);
  }

  add(offer: OfferRecord): void {
    this.byId.set(offer.id, offer);
    index(this.byAgent, offer.agentId, offer);
    index(this.byFramework, offer.frameworkId, offer);
  }

  /** Takes the offer out of the book; undefined when it is not (any more) outstanding. */
  remove(offerId: string): OfferRecord | undefined {
    const offer = this.byId.get(offerId);
    if (!offer) return undefined;
    this.byId.delete(offerId);
    unindex(this.byAgent, offer.agentId, offer);
    unindex(this.byFramework, offer.frameworkId, offer);
    return offer;
  }

  ofAgent(agentId: string): ReadonlySet<OfferRecord> {
    return this.byAgent.get(agentId) ?? NONE;
  }

  ofFramework(frameworkId: string): ReadonlySet<OfferRecord> {
    return this.byFramework.get(frameworkId) ?? NONE;
  }

  /** Sum of the resources offered on an agent (a fresh bag; for the state endpoint). */
  offeredOnAgent(agentId: string): Resources {
    return sum(this.ofAgent(agentId));
  }

  offeredToFramework(frameworkId: string): Resources {
    return sum(this.ofFramework(frameworkId));
  }

  offeredInRole(role: string): Resources {
    const total = Resources.empty();
    for (const offer of this.byId.values()) if (offer.role === role) total.addInPlace(offer.resources);
    return total;
  }
}

function sum(offers: Iterable<OfferRecord>): Resources {
  const total = Resources.empty();
  for (const offer of offers) total.addInPlace(offer.resources);
  return total;
}

function index(map: Map<string, Set<OfferRecord>>, key: string, offer: OfferRecord): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(offer);
}

function unindex(map: Map<string, Set<OfferRecord>>, key: string, offer: OfferRecord): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(offer);
  if (set.size === 0) map.delete(key);
}
