import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createLogger, type Clock } from '@pando/common';
import type { Offer } from '@pando/protocol';
import type { Resources } from '@pando/resources';
import { AllocationLoop, type Allocation, type Allocator, type RecoverFilter } from '../allocation';
import { AgentRegistry } from '../agents/agent-registry.service';
import { FrameworkEventsPublisher } from '../frameworks/framework-events.publisher';
import { FrameworkRegistry } from '../frameworks/framework-registry.service';
import { ALLOCATOR, CLOCK, MASTER_OPTIONS_TOKEN } from '../master.tokens';
import type { MasterOptions } from '../master.options';
import { AllocationTrigger } from './allocation-trigger';
import { OfferBook } from './offer-book.service';
import type { OfferRecord } from './offer.record';

/** An offer an ACCEPT or DECLINE could not use, and why. */
export interface RefusedOffer {
  offerId: string;
  reason: string;
}

const NOT_OUTSTANDING = 'offer is not outstanding: it was already used or declined, rescinded, timed out, or never existed';

/**
 * Turns allocations into offers and offers back into allocator resources. Runs the allocation
 * loop; each cycle's allocations become offers (batched per framework into OFFERS events), and
 * every way an offer ends (used, declined, rescinded, timed out) gives its resources back to the
 * allocator exactly once, so an agent's resources are never offered twice at once.
 */
@Injectable()
export class OfferService implements OnModuleDestroy {
  private readonly log = createLogger('offers');
  private readonly loop: AllocationLoop;
  private offersSent = 0;

  constructor(
    @Inject(ALLOCATOR) private readonly allocator: Allocator,
    private readonly book: OfferBook,
    private readonly frameworks: FrameworkRegistry,
    private readonly agents: AgentRegistry,
    private readonly publisher: FrameworkEventsPublisher,
    private readonly trigger: AllocationTrigger,
    @Inject(MASTER_OPTIONS_TOKEN) private readonly options: MasterOptions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.loop = new AllocationLoop(allocator, (allocations) => this.offer(allocations), {
      intervalMs: options.allocationIntervalMs,
      clock,
      onError: (err) => this.log.error({ err }, 'allocation cycle failed'),
    });
  }

  get cycles(): number {
    return this.loop.cycleCount;
  }

  get sent(): number {
    return this.offersSent;
  }

  /** This master leads and has recovered: allocation cycles run from now on. */
  startLeading(): void {
    this.trigger.attach(this.loop);
    this.loop.start();
    this.trigger.trigger();
  }

  onModuleDestroy(): void {
    this.trigger.detach();
    this.loop.stop();
    for (const id of [...this.allOfferIds()]) this.clearTimer(this.book.get(id));
  }

  /** One cycle's allocations: offers to frameworks that can take them, the rest straight back. */
  offer(allocations: readonly Allocation[]): void {
    const now = this.clock.now();
    const batches = new Map<string, Offer[]>();
    for (const allocation of allocations) {
      const offer = this.toOffer(allocation, now);
      if (!offer) continue;
      let batch = batches.get(allocation.frameworkId);
      if (!batch) batches.set(allocation.frameworkId, (batch = []));
      batch.push(offer);
    }
    for (const [frameworkId, offers] of batches) {
      this.publisher.offers(frameworkId, offers);
      this.offersSent += offers.length;
      if (this.log.isLevelEnabled('debug')) this.log.debug({ frameworkId, offers: offers.length }, `sent ${offers.length} offers to framework ${frameworkId}`);
    }
  }

  /**
   * Takes the framework's offers out of the book for use (ACCEPT). Offers that are not
   * outstanding or belong to another framework are refused, each with why, and left alone.
   */
  take(frameworkId: string, offerIds: readonly string[]): { offers: OfferRecord[]; refused: RefusedOffer[] } {
    const offers: OfferRecord[] = [];
    const refused: RefusedOffer[] = [];
    for (const offerId of new Set(offerIds)) {
      const offer = this.book.get(offerId);
      if (!offer) refused.push({ offerId, reason: NOT_OUTSTANDING });
      else if (offer.frameworkId !== frameworkId) refused.push({ offerId, reason: 'offer belongs to another framework' });
      else {
        this.book.remove(offerId);
        this.clearTimer(offer);
        offers.push(offer);
      }
    }
    return { offers, refused };
  }

  /** DECLINE: the offers' resources go back, not offered to this framework again for refuseSeconds. */
  decline(frameworkId: string, offerIds: readonly string[], filter: RecoverFilter): RefusedOffer[] {
    const { offers, refused } = this.take(frameworkId, offerIds);
    for (const offer of offers) this.allocator.recoverResources(frameworkId, offer.agentId, offer.resources, filter);
    if (offers.length > 0) this.trigger.trigger();
    return refused;
  }

  /** Gives resources of a used offer back (the part tasks did not take), with the accept's filter. */
  recover(frameworkId: string, agentId: string, resources: Resources, filter?: RecoverFilter): void {
    if (resources.isEmpty()) return;
    this.allocator.recoverResources(frameworkId, agentId, resources, filter);
    this.trigger.trigger();
  }

  /** Takes an offer back: RESCIND to its framework (when `notify`), resources to the allocator. */
  rescind(offerId: string, why: string, notify = true): boolean {
    const offer = this.book.remove(offerId);
    if (!offer) return false;
    this.clearTimer(offer);
    this.allocator.recoverResources(offer.frameworkId, offer.agentId, offer.resources);
    if (notify) this.publisher.rescind(offer.frameworkId, offer.id);
    if (this.log.isLevelEnabled('debug')) this.log.debug({ offerId, frameworkId: offer.frameworkId, agentId: offer.agentId, why }, `rescinded offer ${offerId}: ${why}`);
    this.trigger.trigger();
    return true;
  }

  /** Every outstanding offer on the agent (it was lost, or re-registered). */
  rescindAgent(agentId: string, why: string): number {
    const ids = [...this.book.ofAgent(agentId)].map((offer) => offer.id);
    for (const id of ids) this.rescind(id, why);
    return ids.length;
  }

  /** Every outstanding offer of the framework (it disconnected, re-subscribed or left a role). */
  rescindFramework(frameworkId: string, why: string, filter: (offer: OfferRecord) => boolean = () => true, notify = true): number {
    const ids = [...this.book.ofFramework(frameworkId)].filter(filter).map((offer) => offer.id);
    for (const id of ids) this.rescind(id, why, notify);
    return ids.length;
  }

  private toOffer(allocation: Allocation, now: number): Offer | undefined {
    const { frameworkId, agentId, role, resources } = allocation;
    const framework = this.frameworks.get(frameworkId);
    const agent = this.agents.get(agentId);
    if (!framework || !framework.active || !framework.listening || !agent || !agent.active) {
      // The allocator ran before it heard of the change (Mesos does the same): give it back.
      this.allocator.recoverResources(frameworkId, agentId, resources);
      return undefined;
    }
    const record: OfferRecord = { id: this.book.newId(), frameworkId, agentId, role, resources, createdAt: now };
    if (this.options.offerTimeoutMs > 0) {
      record.timer = this.clock.setTimeout(() => this.rescind(record.id, `not answered within ${this.options.offerTimeoutMs} ms`), this.options.offerTimeoutMs);
      record.timer.unref?.();
    }
    this.book.add(record);
    const { info } = agent;
    return {
      id: record.id,
      frameworkId,
      agentId,
      hostname: info.hostname,
      resources: resources.toJson(),
      attributes: info.attributes,
      executors: [...info.executors],
      allocationInfo: { role },
    };
  }

  private clearTimer(offer: OfferRecord | undefined): void {
    if (!offer?.timer) return;
    this.clock.clearTimeout(offer.timer);
    offer.timer = undefined;
  }

  private *allOfferIds(): Generator<string> {
    for (const framework of this.frameworks.values()) for (const offer of this.book.ofFramework(framework.id)) yield offer.id;
  }
}
