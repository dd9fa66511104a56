import type { Offer, TaskSpec } from '@pando/protocol';
import { buildTaskSpec } from '../app-task.factory';
import type { AppDefinition } from '../app.types';
import type { Placement } from '../constraint.matcher';
import { matchOffer, remainingOffer, type RejectReason } from '../offer.matcher';
import { BulkMatcher } from './bulk-match';

/**
 * Places waiting instances into a round of offers, apps in the order given (longest waiting
 * first). Each app is spread over the offers: a first pass gives every offer at most its fair
 * share (ceil(count / offers)), a second pass fills what is left wherever it fits, so 10,000
 * instances on 100 agents are 100 per agent, not 2,000 on the first five. Within an offer each
 * match is taken out with remainingOffer before the next is tried, and an offer's tasks stay
 * under `maxAcceptBytes` of JSON (one ACCEPT is one NATS message). Pure: the caller records,
 * launches and declines. Cost is O(instances placed + apps × offers); constraint checks also
 * scan the app's placements, so only apps with constraints pay for their task count.
 */

/** NATS's default max_payload is 1 MiB; an ACCEPT stays well under it. */
export const DEFAULT_MAX_ACCEPT_BYTES = 800_000;

export interface PlacementRequest {
  app: AppDefinition;
  /** Instances to place. */
  count: number;
  /** Where the app's active tasks are (only read when the app has constraints). */
  placements: Placement[];
}

export interface PlannedLaunch {
  offer: Offer;
  app: AppDefinition;
  specs: TaskSpec[];
  /** Host ports of each spec, in the app's port order. */
  hostPorts: number[][];
}

export interface OfferRejection {
  appId: string;
  offer: Offer;
  reasons: RejectReason[];
}

export interface PlacementResult {
  /** One entry per (offer, app) with at least one instance placed. */
  launches: PlannedLaunch[];
  /** Offers nothing was placed in. */
  unused: Offer[];
  /** Offers an app could not use at all, with Marathon's reasons (for /v2/queue). */
  rejections: OfferRejection[];
  /** Apps that placed instances, with how many. */
  placed: Map<string, number>;
}

export interface PlacementOptions {
  /** The executor an app's tasks run with; an offer from an agent without it does not fit. */
  executorOf(app: AppDefinition): string;
  /** Builds a task spec (the default is the core's buildTaskSpec). */
  buildSpec?: typeof buildTaskSpec;
  /** JSON bytes of task specs per offer (default DEFAULT_MAX_ACCEPT_BYTES). */
  maxAcceptBytes?: number;
}

interface OfferSlot {
  offer: Offer;
  remaining: Offer;
  bytes: number;
  used: boolean;
  /** Apps that cannot use this offer at all (no need to try them again in pass two). */
  refused: Set<string>;
}

export function placeOffers(offers: readonly Offer[], requests: readonly PlacementRequest[], options: PlacementOptions): PlacementResult {
  const result: PlacementResult = { launches: [], unused: [], rejections: [], placed: new Map() };
  const slots: OfferSlot[] = offers.map((offer) => ({ offer, remaining: offer, bytes: 0, used: false, refused: new Set() }));
  for (const original of requests) {
    const request = { ...original, placements: original.app.constraints.length > 0 ? [...original.placements] : original.placements };
    const launches = new Map<OfferSlot, PlannedLaunch>();
    const share = Math.ceil(request.count / Math.max(1, slots.length));
    for (const cap of [share, Number.POSITIVE_INFINITY]) {
      for (const slot of slots) {
        if (request.count <= 0) break;
        if (slot.refused.has(request.app.id)) continue;
        const placed = placeApp(slot, request, Math.min(cap, request.count), options, result.rejections);
        if (!placed) continue;
        const launch = launches.get(slot) ?? { offer: slot.offer, app: request.app, specs: [], hostPorts: [] };
        launch.specs.push(...placed.specs);
        launch.hostPorts.push(...placed.hostPorts);
        launches.set(slot, launch);
      }
    }
    for (const launch of launches.values()) {
      result.launches.push(launch);
      result.placed.set(request.app.id, (result.placed.get(request.app.id) ?? 0) + launch.specs.length);
    }
  }
  result.unused = slots.filter((s) => !s.used).map((s) => s.offer);
  return result;
}

/** Puts up to `max` instances of one app in one offer; undefined (and a rejection) when none fits. */
function placeApp(slot: OfferSlot, request: PlacementRequest, max: number, options: PlacementOptions, rejections: OfferRejection[]): { specs: TaskSpec[]; hostPorts: number[][] } | undefined {
  const { app } = request;
  const executor = options.executorOf(app);
  if (!slot.offer.executors.includes(executor)) {
    // The agent cannot run the app's executor: for Marathon's funnel, an unmet agent constraint.
    slot.refused.add(app.id);
    rejections.push({ appId: app.id, offer: slot.offer, reasons: ['UnfulfilledConstraint'] });
    return undefined;
  }
  const build = options.buildSpec ?? buildTaskSpec;
  const maxBytes = options.maxAcceptBytes ?? DEFAULT_MAX_ACCEPT_BYTES;
  const specs: TaskSpec[] = [];
  const hostPorts: number[][] = [];
  const placement: Placement = { hostname: slot.offer.hostname, attributes: slot.offer.attributes };
  let specBytes = 0;
  let bulk: BulkMatcher | undefined;
  while (specs.length < max && request.count > 0) {
    if (specBytes > 0 && slot.bytes + specBytes > maxBytes) break;
    // The bulk matcher knows exactly what is left: when it has no room, neither has the offer.
    const match = bulk ? bulk.next() : matchOffer(app, slot.remaining, request.placements);
    if (!match) break;
    if (!match.matched) {
      if (specs.length === 0 && !slot.used) {
        slot.refused.add(app.id);
        rejections.push({ appId: app.id, offer: slot.offer, reasons: match.reasons });
      }
      break;
    }
    const spec = build({ app, offer: slot.offer, match });
    if (spec.executor === 'command') spec.executor = executor;
    // Specs of one app differ only in ids and ports: measuring the first is enough.
    if (specBytes === 0) specBytes = JSON.stringify(spec).length + 64;
    specs.push(spec);
    hostPorts.push(match.hostPorts);
    slot.bytes += specBytes;
    slot.used = true;
    request.count--;
    if (app.constraints.length > 0) request.placements.push(placement);
    if (!bulk) {
      slot.remaining = remainingOffer(slot.remaining, match.resources);
      bulk = BulkMatcher.after(app, slot.remaining, match);
    }
  }
  // What the bulk matcher handed out leaves the offer in one subtraction.
  if (bulk) slot.remaining = remainingOffer(slot.remaining, bulk.used());
  return specs.length > 0 ? { specs, hostPorts } : undefined;
}
