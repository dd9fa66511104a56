/**
 * Status timestamps are milliseconds since the epoch (Date.now()). A value that small can only
 * be seconds (Mesos's unit, which a ported executor might send): before 1973 in ms, after the
 * year 5000 in seconds. Normalising here keeps the state endpoint right either way.
 */
const SECONDS_CEILING = 1e11;

export function statusTimeMs(timestamp: number, now: number): number {
  if (!Number.isFinite(timestamp) || timestamp <= 0) return now;
  return timestamp < SECONDS_CEILING ? timestamp * 1000 : timestamp;
}
