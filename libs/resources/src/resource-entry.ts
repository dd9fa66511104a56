import { fromMillis, toMillis } from './scalar';
import { normalizeRanges, rangesContain, rangesEqual, subtractRanges, unionRanges, type Range } from './ranges';
import { normalizeReservation, reservationKey } from './reservation';
import { UNRESERVED_ROLE, type ReservationJson, type ResourceJson, type ResourceKind } from './resource.types';

/**
 * One (name, kind, role, reservation) slot of a Resources bag. Values are mutable so the
 * allocator's in-place operations touch numbers, not objects; a bag never shares an entry with
 * another bag, so mutation stays private.
 */
interface EntryIdentity {
  readonly key: string;
  readonly name: string;
  readonly role: string;
  readonly reservation: ReservationJson | undefined;
}
export interface ScalarEntry extends EntryIdentity {
  readonly kind: 'SCALAR';
  millis: number;
}
export interface RangesEntry extends EntryIdentity {
  readonly kind: 'RANGES';
  ranges: Range[];
}
export interface SetEntry extends EntryIdentity {
  readonly kind: 'SET';
  items: Set<string>;
}
export type ResourceEntry = ScalarEntry | RangesEntry | SetEntry;

export type EntryValue =
  | { kind: 'SCALAR'; millis: number }
  | { kind: 'RANGES'; ranges: Range[] }
  | { kind: 'SET'; items: Set<string> };

export interface EntryIdentityInput {
  name: string;
  role?: string | undefined;
  reservation?: ReservationJson | undefined;
}

// Kind is part of the key so a malformed bag mixing kinds under one name cannot corrupt values.
function entryKey(name: string, kind: ResourceKind, role: string, reservation: ReservationJson | undefined): string {
  return `${name}|${kind}|${role}|${reservationKey(reservation)}`;
}

/** Builds an entry, normalising role ('*' default) and reservation (unreserved never has one). */
export function makeEntry(identity: EntryIdentityInput, value: EntryValue): ResourceEntry {
  const role = identity.role ?? UNRESERVED_ROLE;
  const reservation = role === UNRESERVED_ROLE ? undefined : normalizeReservation(identity.reservation);
  const key = entryKey(identity.name, value.kind, role, reservation);
  return { key, name: identity.name, role, reservation, ...value } as ResourceEntry;
}

export function cloneEntry(entry: ResourceEntry): ResourceEntry {
  return makeEntry(entry, copyValue(entry));
}

export function copyValue(entry: ResourceEntry): EntryValue {
  switch (entry.kind) {
    case 'SCALAR':
      return { kind: 'SCALAR', millis: entry.millis };
    case 'RANGES':
      return { kind: 'RANGES', ranges: entry.ranges.slice() };
    case 'SET':
      return { kind: 'SET', items: new Set(entry.items) };
  }
}

export function isEntryEmpty(entry: ResourceEntry): boolean {
  switch (entry.kind) {
    case 'SCALAR':
      return !(entry.millis > 0);
    case 'RANGES':
      return entry.ranges.length === 0;
    case 'SET':
      return entry.items.size === 0;
  }
}

/** Adds `source` into `target`; both must share a key. */
export function addIntoEntry(target: ResourceEntry, source: ResourceEntry): void {
  if (target.kind === 'SCALAR' && source.kind === 'SCALAR') target.millis += source.millis;
  else if (target.kind === 'RANGES' && source.kind === 'RANGES') target.ranges = unionRanges(target.ranges, source.ranges);
  else if (target.kind === 'SET' && source.kind === 'SET') for (const item of source.items) target.items.add(item);
}

/** Subtracts `source` from `target` (same key), clamping scalars at zero. */
export function subtractFromEntry(target: ResourceEntry, source: ResourceEntry): void {
  if (target.kind === 'SCALAR' && source.kind === 'SCALAR') target.millis = Math.max(0, target.millis - source.millis);
  else if (target.kind === 'RANGES' && source.kind === 'RANGES') target.ranges = subtractRanges(target.ranges, source.ranges);
  else if (target.kind === 'SET' && source.kind === 'SET') {
    if (target.items === source.items) target.items.clear();
    else for (const item of source.items) target.items.delete(item);
  }
}

export function entryContains(outer: ResourceEntry, inner: ResourceEntry): boolean {
  if (outer.kind === 'SCALAR' && inner.kind === 'SCALAR') return outer.millis >= inner.millis;
  if (outer.kind === 'RANGES' && inner.kind === 'RANGES') return rangesContain(outer.ranges, inner.ranges);
  if (outer.kind === 'SET' && inner.kind === 'SET') {
    for (const item of inner.items) if (!outer.items.has(item)) return false;
    return true;
  }
  return false;
}

export function entryValuesEqual(a: ResourceEntry, b: ResourceEntry): boolean {
  if (a.kind === 'SCALAR' && b.kind === 'SCALAR') return a.millis === b.millis;
  if (a.kind === 'RANGES' && b.kind === 'RANGES') return rangesEqual(a.ranges, b.ranges);
  if (a.kind === 'SET' && b.kind === 'SET') return a.items.size === b.items.size && entryContains(a, b);
  return false;
}

/** Wire JSON → entry. Trusts the shape (validate with resourceJsonSchema first); may be empty. */
export function entryFromJson(json: ResourceJson): ResourceEntry {
  const identity = { name: json.name, role: json.role, reservation: json.reservation };
  switch (json.type) {
    case 'SCALAR':
      return makeEntry(identity, { kind: 'SCALAR', millis: toMillis(json.scalar?.value ?? 0) });
    case 'RANGES': {
      const ranges = normalizeRanges((json.ranges?.range ?? []).map((r): Range => [r.begin, r.end]));
      return makeEntry(identity, { kind: 'RANGES', ranges });
    }
    case 'SET':
      return makeEntry(identity, { kind: 'SET', items: new Set(json.set?.item ?? []) });
  }
}

/** Entry → wire JSON. Role is always written, '*' included, so consumers never guess. */
export function entryToJson(entry: ResourceEntry): ResourceJson {
  const json: ResourceJson = { name: entry.name, type: entry.kind };
  if (entry.kind === 'SCALAR') json.scalar = { value: fromMillis(entry.millis) };
  else if (entry.kind === 'RANGES') json.ranges = { range: entry.ranges.map(([begin, end]) => ({ begin, end })) };
  else json.set = { item: sortedItems(entry.items) };
  json.role = entry.role;
  if (entry.reservation) json.reservation = copyReservation(entry.reservation);
  return json;
}

// Callers may mutate the JSON they get back; the entry's frozen reservation must not leak.
function copyReservation(reservation: ReservationJson): ReservationJson {
  const copy: ReservationJson = { type: reservation.type };
  if (reservation.principal !== undefined) copy.principal = reservation.principal;
  if (reservation.labels) copy.labels = Object.fromEntries(Object.entries(reservation.labels));
  return copy;
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function sortedItems(items: Iterable<string>): string[] {
  return [...items].sort(compareText);
}

/** Output order for toJson/toString: by name, then role, then the rest of the key. */
export function compareEntries(a: ResourceEntry, b: ResourceEntry): number {
  return compareText(a.name, b.name) || compareText(a.role, b.role) || compareText(a.key, b.key);
}
