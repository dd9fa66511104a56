/**
 * Wall-clock time in a time zone, with nothing but Intl. A "wall" value is a local date-time
 * encoded as if it were UTC milliseconds (so 2026-03-08T02:30 local is Date.UTC(2026, 2, 8, 2, 30)):
 * calendar arithmetic happens on wall values, and `resolveWall` turns them back into instants,
 * reporting the two daylight-saving cases (a wall time that does not exist, or exists twice).
 */

/** A zone: an IANA name understood by Intl, or a fixed offset from UTC (from a `+01:00` designator). */
export type Zone = { readonly kind: 'iana'; readonly name: string } | { readonly kind: 'fixed'; readonly offsetMs: number };

export const UTC_ZONE: Zone = { kind: 'fixed', offsetMs: 0 };

/** What a wall-clock time is in a zone: one instant, none (spring-forward gap), or two (fall-back). */
export type WallResolution =
  | { readonly kind: 'unique'; readonly instantMs: number }
  | { readonly kind: 'gap' }
  | { readonly kind: 'ambiguous'; readonly earlierMs: number; readonly laterMs: number };

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** Per zone: minute (epoch minutes) -> offset, or null when the offset changes within that minute. */
const minuteCaches = new Map<string, Map<number, number | null>>();
const MAX_CACHED_MINUTES = 50_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** True when Intl knows the zone name (IANA names and the aliases ICU accepts, such as `UTC`). */
export function isValidTimeZone(name: string): boolean {
  if (name.trim() === '') return false;
  try {
    formatterFor(name);
    return true;
  } catch {
    return false;
  }
}

export function ianaZone(name: string): Zone {
  formatterFor(name); // throws RangeError for an unknown zone
  return { kind: 'iana', name };
}

export function describeZone(zone: Zone): string {
  if (zone.kind === 'iana') return zone.name;
  if (zone.offsetMs === 0) return 'UTC';
  const sign = zone.offsetMs < 0 ? '-' : '+';
  const minutes = Math.abs(zone.offsetMs) / 60_000;
  return `${sign}${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}`;
}

/** The zone's offset from UTC at an instant, in milliseconds (positive east of Greenwich). */
export function offsetAt(zone: Zone, instantMs: number): number {
  if (zone.kind === 'fixed') return zone.offsetMs;
  // Intl is slow (microseconds a call) and schedules ask for the same minutes again and again.
  // A minute whose two ends have the same offset has it throughout (no zone changes its offset
  // twice within a minute); only a minute holding a transition is computed to the second.
  const minute = Math.floor(instantMs / MINUTE_MS);
  const cache = minuteCacheFor(zone.name);
  let offset = cache.get(minute);
  if (offset === undefined) {
    const start = intlOffset(zone.name, minute * MINUTE_MS);
    offset = start === intlOffset(zone.name, minute * MINUTE_MS + MINUTE_MS - 1000) ? start : null;
    cache.set(minute, offset);
  }
  return offset ?? intlOffset(zone.name, instantMs);
}

function minuteCacheFor(name: string): Map<number, number | null> {
  let cache = minuteCaches.get(name);
  if (!cache || cache.size > MAX_CACHED_MINUTES) {
    cache = new Map();
    minuteCaches.set(name, cache);
  }
  return cache;
}

function intlOffset(name: string, instantMs: number): number {
  // Intl works in whole seconds here; the offset of every real zone is a whole number of seconds.
  const seconds = Math.floor(instantMs / 1000) * 1000;
  const parts = formatterFor(name).formatToParts(new Date(seconds));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  let year = get('year');
  if (parts.find((p) => p.type === 'era')?.value === 'B') year = 1 - year;
  const wall = Date.UTC(year, get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - seconds;
}

/** The wall-clock time of an instant in the zone. */
export function wallAt(zone: Zone, instantMs: number): number {
  return instantMs + offsetAt(zone, instantMs);
}

/**
 * The instant(s) a wall-clock time stands for. Candidate offsets are the zone's offsets a day
 * either side: no zone changes its offset twice within two days, so these cover both sides of
 * any transition near the wall time.
 */
export function resolveWall(zone: Zone, wallMs: number): WallResolution {
  if (zone.kind === 'fixed') return { kind: 'unique', instantMs: wallMs - zone.offsetMs };
  const offsets = new Set([offsetAt(zone, wallMs - DAY_MS), offsetAt(zone, wallMs), offsetAt(zone, wallMs + DAY_MS)]);
  const instants = [...offsets]
    .map((offset) => wallMs - offset)
    .filter((instant) => offsetAt(zone, instant) === wallMs - instant)
    .sort((a, b) => a - b);
  const unique = [...new Set(instants)];
  if (unique.length === 0) return { kind: 'gap' };
  if (unique.length === 1) return { kind: 'unique', instantMs: unique[0]! };
  return { kind: 'ambiguous', earlierMs: unique[0]!, laterMs: unique[unique.length - 1]! };
}

/**
 * A wall time as an instant, the way java.time does it for a single date-time: in a gap, moved
 * forward by the gap's length; when repeated, the earlier instant.
 */
export function wallToInstantLenient(zone: Zone, wallMs: number): number {
  const resolved = resolveWall(zone, wallMs);
  if (resolved.kind === 'unique') return resolved.instantMs;
  if (resolved.kind === 'ambiguous') return resolved.earlierMs;
  const before = offsetAt(zone, wallMs - DAY_MS);
  return wallMs - before;
}

/**
 * Adds calendar years, months and days to a wall time. Like java.time and Joda, a day of month
 * that does not exist in the target month is clamped to its last day (Jan 31 + 1 month = Feb 28).
 */
export function addCalendar(wallMs: number, years: number, months: number, days: number): number {
  const date = new Date(wallMs);
  const totalMonths = date.getUTCFullYear() * 12 + date.getUTCMonth() + years * 12 + months;
  const year = Math.floor(totalMonths / 12);
  const month = totalMonths - year * 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(date.getUTCDate(), lastDay);
  const timeOfDay = wallMs - Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  const shifted = new Date(Date.UTC(year, month, day));
  shifted.setUTCFullYear(year); // Date.UTC maps years 0-99 to 1900-1999
  return shifted.getTime() + days * DAY_MS + timeOfDay;
}

/** An instant as ISO 8601 in UTC (`2026-01-01T00:00:00.000Z`), as Chronos shows dates. */
export function formatInstant(instantMs: number): string {
  return new Date(instantMs).toISOString();
}

function formatterFor(name: string): Intl.DateTimeFormat {
  let formatter = formatters.get(name);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      era: 'narrow',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(name, formatter);
  }
  return formatter;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
