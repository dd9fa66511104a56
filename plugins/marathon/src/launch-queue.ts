import type { Offer } from '@pando/protocol';
import type { AppSpec } from './app.types';
import { REJECT_REASONS, type RejectReason } from './offer.matcher';

/**
 * Per-app launch bookkeeping behind `/v2/queue`: the backoff that slows down an app whose
 * tasks keep failing, and statistics of the offers the app could not use, with Marathon's
 * reasons. Pure in-memory state; every method takes `now` (epoch ms) so tests need no clock.
 *
 * Backoff, as in Marathon: each failure (FAILED, FINISHED, LOST, ERROR, killed for failing
 * health checks; not a kill we asked for) delays the next launch by backoffSeconds ×
 * backoffFactor^(n-1), at most maxLaunchDelaySeconds. The delay is forgotten after a new
 * config version, on `DELETE /v2/queue/{id}/delay`, after a quiet period of the current delay
 * plus maxLaunchDelaySeconds, and when a task failed only after running that long.
 */

export interface QueueDelay {
  timeLeftSeconds: number;
  /** Marathon's meaning: the delay is over (true also when there is none). */
  overdue: boolean;
}

export interface UnusedOffer {
  offer: Offer;
  reasons: RejectReason[];
  timestamp: number;
}

export interface DeclinedOfferStep {
  reason: RejectReason;
  declined: number;
  processed: number;
}

export interface OfferStatistics {
  processedOffersCount: number;
  unusedOffersCount: number;
  lastUnusedOfferAt?: number;
  lastUsedOfferAt?: number;
  rejectSummaryLastOffers: DeclinedOfferStep[];
  rejectSummaryLaunchAttempt: DeclinedOfferStep[];
}

export interface QueueSnapshot {
  appId: string;
  /** Start of the current launch attempt (when the app began waiting for offers). */
  since: number;
  delay: QueueDelay;
  processedOffersSummary: OfferStatistics;
  lastUnusedOffers: UnusedOffer[];
}

export interface LaunchQueueOptions {
  /** How many unused offers to keep per app for `embed=lastUnusedOffers` (default 50). */
  lastUnusedOffersLimit?: number;
}

interface Backoff {
  delayMs: number;
  until: number;
  lastFailureAt: number;
}

interface AppEntry {
  backoff?: Backoff;
  since?: number;
  processed: number;
  unused: number;
  lastUnusedAt?: number;
  lastUsedAt?: number;
  firstReasons: Map<RejectReason, number>;
  lastNoMatchByAgent: Map<string, UnusedOffer>;
  lastUnused: UnusedOffer[];
}

export class LaunchQueue {
  private readonly entries = new Map<string, AppEntry>();
  private readonly lastUnusedLimit: number;

  constructor(options: LaunchQueueOptions = {}) {
    this.lastUnusedLimit = options.lastUnusedOffersLimit ?? 50;
  }

  /** A task of the app failed; `ranForMs` is how long it had been running, if it started. */
  recordFailure(app: AppSpec, now: number, ranForMs?: number): void {
    const entry = this.entry(app.id);
    const maxMs = app.maxLaunchDelaySeconds * 1000;
    let current = this.liveBackoff(app, now);
    if (ranForMs !== undefined && ranForMs >= maxMs) current = undefined;
    const delayMs = current ? Math.min(current.delayMs * app.backoffFactor, maxMs) : Math.min(app.backoffSeconds * 1000, maxMs);
    entry.backoff = { delayMs, until: now + delayMs, lastFailureAt: now };
  }

  /** Forgets the delay: new config version, or `DELETE /v2/queue/{id}/delay`. */
  resetDelay(appId: string): void {
    const entry = this.entries.get(appId);
    if (entry) delete entry.backoff;
  }

  /** When the app may launch again (now, when it is not delayed). */
  launchAllowedAt(app: AppSpec, now: number): number {
    return Math.max(now, this.liveBackoff(app, now)?.until ?? now);
  }

  isDelayed(app: AppSpec, now: number): boolean {
    return this.launchAllowedAt(app, now) > now;
  }

  delay(app: AppSpec, now: number): QueueDelay {
    const until = this.liveBackoff(app, now)?.until ?? now;
    return { timeLeftSeconds: Math.max(0, Math.ceil((until - now) / 1000)), overdue: now >= until };
  }

  /** The app has instances to launch: offers count from now on (idempotent). */
  startLaunchAttempt(appId: string, now: number): void {
    const entry = this.entry(appId);
    entry.since ??= now;
  }

  /** Nothing left to launch: the statistics of this attempt are dropped, as Marathon does. */
  endLaunchAttempt(appId: string): void {
    const entry = this.entries.get(appId);
    if (!entry) return;
    this.entries.set(appId, { ...emptyEntry(), ...(entry.backoff ? { backoff: entry.backoff } : {}) });
  }

  /** The app is gone: forget everything about it. */
  remove(appId: string): void {
    this.entries.delete(appId);
  }

  recordMatch(appId: string, now: number): void {
    const entry = this.entry(appId);
    entry.processed++;
    entry.lastUsedAt = now;
  }

  recordNoMatch(appId: string, offer: Offer, reasons: readonly RejectReason[], now: number): void {
    const entry = this.entry(appId);
    const unusedOffer: UnusedOffer = { offer, reasons: [...reasons], timestamp: now };
    entry.processed++;
    entry.unused++;
    entry.lastUnusedAt = now;
    const first = firstReason(reasons);
    if (first) entry.firstReasons.set(first, (entry.firstReasons.get(first) ?? 0) + 1);
    entry.lastNoMatchByAgent.set(offer.agentId, unusedOffer);
    entry.lastUnused.push(unusedOffer);
    if (entry.lastUnused.length > this.lastUnusedLimit) entry.lastUnused.shift();
  }

  /** Everything `/v2/queue` shows for the app, except the instance count (the caller knows it). */
  snapshot(app: AppSpec, now: number): QueueSnapshot {
    const entry = this.entries.get(app.id) ?? emptyEntry();
    const lastOffers = [...entry.lastNoMatchByAgent.values()];
    const lastFirstReasons = new Map<RejectReason, number>();
    for (const { reasons } of lastOffers) {
      const first = firstReason(reasons);
      if (first) lastFirstReasons.set(first, (lastFirstReasons.get(first) ?? 0) + 1);
    }
    const summary: OfferStatistics = {
      processedOffersCount: entry.processed,
      unusedOffersCount: entry.unused,
      rejectSummaryLastOffers: funnel(lastOffers.length, lastFirstReasons),
      rejectSummaryLaunchAttempt: funnel(entry.processed, entry.firstReasons),
    };
    if (entry.lastUnusedAt !== undefined) summary.lastUnusedOfferAt = entry.lastUnusedAt;
    if (entry.lastUsedAt !== undefined) summary.lastUsedOfferAt = entry.lastUsedAt;
    return { appId: app.id, since: entry.since ?? now, delay: this.delay(app, now), processedOffersSummary: summary, lastUnusedOffers: [...entry.lastUnused] };
  }

  /** The backoff in force, forgetting it after a quiet period of delay + maxLaunchDelay. */
  private liveBackoff(app: AppSpec, now: number): Backoff | undefined {
    const entry = this.entries.get(app.id);
    const backoff = entry?.backoff;
    if (!entry || !backoff) return undefined;
    if (now - backoff.lastFailureAt >= backoff.delayMs + app.maxLaunchDelaySeconds * 1000) {
      delete entry.backoff;
      return undefined;
    }
    return backoff;
  }

  private entry(appId: string): AppEntry {
    let entry = this.entries.get(appId);
    if (!entry) {
      entry = emptyEntry();
      this.entries.set(appId, entry);
    }
    return entry;
  }
}

function emptyEntry(): AppEntry {
  return { processed: 0, unused: 0, firstReasons: new Map(), lastNoMatchByAgent: new Map(), lastUnused: [] };
}

/** Marathon counts a declined offer once, under the first reason of its funnel. */
export function firstReason(reasons: readonly RejectReason[]): RejectReason | undefined {
  return REJECT_REASONS.find((r) => reasons.includes(r));
}

/**
 * Marathon's funnel: every reason in order, with how many offers reached that stage
 * (`processed`) and how many it declined (`declined`); the next stage sees the rest.
 */
export function funnel(processedOffers: number, declinedBy: ReadonlyMap<RejectReason, number>): DeclinedOfferStep[] {
  let processed = processedOffers;
  return REJECT_REASONS.map((reason) => {
    const declined = declinedBy.get(reason) ?? 0;
    const step = { reason, declined, processed };
    processed -= declined;
    return step;
  });
}
