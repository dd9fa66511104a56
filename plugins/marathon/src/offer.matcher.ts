import type { Offer } from '@pando/protocol';
import { Resources, UNRESERVED_ROLE, type ResourceJson } from '@pando/resources';
import { usesContainerNetworking, type AppSpec } from './app.types';
import { meetsConstraints, type Placement } from './constraint.matcher';

/**
 * Does one offer fit one instance of an app? Either the resources to launch it with (taken
 * from the offer, with their roles and reservations, so the caller can subtract them and try
 * the rest of the offer for the next instance) and the host ports picked for it, or every
 * reason Marathon would give for declining, named as in `/v2/queue`.
 */

/** Marathon's NoOfferMatchReason names, in the order of its funnel (the first one counts). */
export const REJECT_REASONS = [
  'UnfulfilledRole',
  'UnfulfilledConstraint',
  'NoCorrespondingReservationFound',
  'InsufficientCpus',
  'InsufficientMemory',
  'InsufficientDisk',
  'InsufficientGpus',
  'InsufficientPorts',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface OfferMatch {
  matched: true;
  /** What to put in the TaskSpec: scalars and ports, with the offer's roles. */
  resources: ResourceJson[];
  /** One host port per requested port, in the app's port order (PORT0, PORT1, ...). */
  hostPorts: number[];
}

export interface OfferMismatch {
  matched: false;
  /** Every reason that applies, in funnel order. */
  reasons: RejectReason[];
}

export type OfferMatchResult = OfferMatch | OfferMismatch;

const SCALARS: ReadonlyArray<{ name: 'cpus' | 'mem' | 'disk' | 'gpus'; reason: RejectReason }> = [
  { name: 'cpus', reason: 'InsufficientCpus' },
  { name: 'mem', reason: 'InsufficientMemory' },
  { name: 'disk', reason: 'InsufficientDisk' },
  { name: 'gpus', reason: 'InsufficientGpus' },
];

/**
 * Matches `app` against `offer`. `tasks` are the placements of the app's tasks that count for
 * constraints (running and staged, plus those already placed from this round of offers).
 */
export function matchOffer(app: AppSpec, offer: Offer, tasks: readonly Placement[]): OfferMatchResult {
  const reasons = new Set<RejectReason>();
  const usable = usableResources(app, offer);
  if (offer.allocationInfo.role !== app.role || (usable.length === 0 && offer.resources.length > 0)) reasons.add('UnfulfilledRole');
  if (!meetsConstraints(app.constraints, { hostname: offer.hostname, attributes: offer.attributes }, tasks)) reasons.add('UnfulfilledConstraint');
  const taken: ResourceJson[] = [];
  for (const { name, reason } of SCALARS) {
    const picked = takeScalar(usable, name, app[name]);
    if (picked === undefined) reasons.add(reason);
    else taken.push(...picked);
  }
  const ports = takePorts(usable, hostPortRequests(app));
  if (ports === undefined) reasons.add('InsufficientPorts');
  else taken.push(...ports.resources);
  if (reasons.size > 0 || ports === undefined) return { matched: false, reasons: REJECT_REASONS.filter((r) => reasons.has(r)) };
  return { matched: true, resources: Resources.fromJson(taken).toJson(), hostPorts: ports.hostPorts };
}

/** The offer without what a match used, to place the next instance in the same offer. */
export function remainingOffer(offer: Offer, used: readonly ResourceJson[]): Offer {
  return { ...offer, resources: Resources.fromJson(offer.resources).subtract(Resources.fromJson(used)).toJson() };
}

/**
 * Host ports an instance needs, in port order: 0 for "any", a number for exactly that port
 * (requirePorts in host mode; a fixed hostPort in a bridge port mapping).
 */
export function hostPortRequests(app: AppSpec): number[] {
  if (usesContainerNetworking(app)) {
    return (app.container?.portMappings ?? []).flatMap((m) => (m.hostPort === undefined ? [] : [m.hostPort]));
  }
  return app.portDefinitions.map((d) => (app.requirePorts ? d.port : 0));
}

/**
 * Resources of roles the app accepts: `acceptedResourceRoles`, or by default unreserved ones
 * and those reserved for the app's role. Reserved ones come first, so reservations are used
 * before shared capacity.
 */
function usableResources(app: AppSpec, offer: Offer): ResourceJson[] {
  const accepted = new Set(app.acceptedResourceRoles ?? [UNRESERVED_ROLE, app.role]);
  const usable = offer.resources.filter((r) => accepted.has(r.role ?? UNRESERVED_ROLE));
  return [...usable.filter((r) => (r.role ?? UNRESERVED_ROLE) !== UNRESERVED_ROLE), ...usable.filter((r) => (r.role ?? UNRESERVED_ROLE) === UNRESERVED_ROLE)];
}

/** Scalars are compared in thousandths, as Mesos and @pando/resources store them. */
const toMillis = (value: number) => Math.round(value * 1000);

function takeScalar(usable: readonly ResourceJson[], name: string, amount: number): ResourceJson[] | undefined {
  let needed = toMillis(amount);
  if (needed <= 0) return [];
  const picked: ResourceJson[] = [];
  for (const r of usable) {
    if (r.name !== name || r.type !== 'SCALAR' || !r.scalar) continue;
    const take = Math.min(needed, toMillis(r.scalar.value));
    if (take <= 0) continue;
    picked.push({ ...withoutValue(r), scalar: { value: take / 1000 } });
    needed -= take;
    if (needed === 0) return picked;
  }
  return undefined;
}

interface PortSource {
  resource: ResourceJson;
  begin: number;
  end: number;
}

/**
 * Picks host ports: fixed ones must be in the offer; "any" ones take the lowest free ports
 * (deterministic, unlike Marathon's random pick, which only mattered for its port reuse).
 */
function takePorts(usable: readonly ResourceJson[], requests: readonly number[]): { hostPorts: number[]; resources: ResourceJson[] } | undefined {
  if (requests.length === 0) return { hostPorts: [], resources: [] };
  const sources: PortSource[] = usable
    .filter((r) => r.name === 'ports' && r.type === 'RANGES')
    .flatMap((resource) => (resource.ranges?.range ?? []).map(({ begin, end }) => ({ resource, begin, end })))
    .sort((a, b) => a.begin - b.begin);
  const sourceOf = (port: number) => sources.find((s) => s.begin <= port && port <= s.end);
  const fixed = requests.filter((p) => p !== 0);
  if (new Set(fixed).size !== fixed.length || fixed.some((p) => !sourceOf(p))) return undefined;
  const used = new Set(fixed);
  const dynamic = lowestFreePorts(sources, used, requests.length - fixed.length);
  if (dynamic === undefined) return undefined;
  const hostPorts = requests.map((p) => (p !== 0 ? p : dynamic.shift()!));
  return { hostPorts, resources: portResources(hostPorts, sourceOf) };
}

function lowestFreePorts(sources: readonly PortSource[], used: ReadonlySet<number>, count: number): number[] | undefined {
  const picked: number[] = [];
  for (const { begin, end } of sources) {
    for (let port = begin; port <= end && picked.length < count; port++) {
      if (!used.has(port) && !picked.includes(port)) picked.push(port);
    }
    if (picked.length === count) return picked;
  }
  return picked.length === count ? picked : undefined;
}

/** One `ports` resource per source entry (role, reservation), with the picked ports as ranges. */
function portResources(ports: readonly number[], sourceOf: (port: number) => PortSource | undefined): ResourceJson[] {
  const bySource = new Map<ResourceJson, number[]>();
  for (const port of ports) {
    const source = sourceOf(port)!.resource;
    bySource.set(source, [...(bySource.get(source) ?? []), port]);
  }
  return [...bySource].map(([source, picked]) => ({
    ...withoutValue(source),
    ranges: { range: [...picked].sort((a, b) => a - b).map((p) => ({ begin: p, end: p })) },
  }));
}

function withoutValue(r: ResourceJson): ResourceJson {
  const { scalar: _s, ranges: _r, set: _set, ...rest } = r;
  return rest;
}
