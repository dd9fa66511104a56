/**
 * ISO 8601 durations (`P1Y2M3W4DT5H6M7.5S`) as Chronos reads them with Joda's standard period
 * format: every component optional, at least one present, `T` before hours/minutes/seconds,
 * only seconds may carry a fraction (to the millisecond). Negative components are refused:
 * a schedule's period and an epsilon only make sense forwards.
 */

export interface IsoDuration {
  readonly years: number;
  readonly months: number;
  readonly weeks: number;
  readonly days: number;
  readonly hours: number;
  readonly minutes: number;
  /** Seconds in milliseconds, so that `PT0.5S` is exact. */
  readonly millis: number;
}

const DURATION_PATTERN =
  /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:[.,](\d{1,3}))?S)?)?$/;

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Parses a duration; returns a reason instead of throwing so callers can name the field. */
export function parseIsoDuration(text: string): IsoDuration | { error: string } {
  const match = DURATION_PATTERN.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) {
    return { error: `'${text}' is not an ISO 8601 duration (like PT30S, PT1H30M, P1D, P1M)` };
  }
  const int = (i: number): number => (match[i] === undefined ? 0 : Number(match[i]));
  const fraction = match[8] === undefined ? 0 : Number(match[8].padEnd(3, '0'));
  const duration: IsoDuration = {
    years: int(1),
    months: int(2),
    weeks: int(3),
    days: int(4),
    hours: int(5),
    minutes: int(6),
    millis: int(7) * SECOND_MS + fraction,
  };
  const values = Object.values(duration);
  if (values.some((v) => !Number.isSafeInteger(v))) return { error: `'${text}' has a component too large` };
  return duration;
}

/** True when the duration has calendar parts (years, months, weeks, days) whose length depends on the zone. */
export function hasCalendarPart(d: IsoDuration): boolean {
  return d.years > 0 || d.months > 0 || d.weeks > 0 || d.days > 0;
}

/** The exact length of the time part (hours, minutes, seconds). */
export function timePartMs(d: IsoDuration): number {
  return d.hours * HOUR_MS + d.minutes * MINUTE_MS + d.millis;
}

/**
 * The length of a duration without years or months, counting a day as 24 hours: used for
 * epsilon and maxCompletionTime, which are spans of elapsed time, not calendar steps.
 * Undefined when the duration has years or months (their length varies).
 */
export function fixedDurationMs(d: IsoDuration): number | undefined {
  if (d.years > 0 || d.months > 0) return undefined;
  return (d.weeks * 7 + d.days) * DAY_MS + timePartMs(d);
}

/** A rough length used only to estimate how many periods fit in a span (then corrected exactly). */
export function approximateMs(d: IsoDuration): number {
  const averageMonthMs = (365.2425 / 12) * DAY_MS;
  return (d.years * 12 + d.months) * averageMonthMs + (d.weeks * 7 + d.days) * DAY_MS + timePartMs(d);
}

export function isZeroDuration(d: IsoDuration): boolean {
  return Object.values(d).every((v) => v === 0);
}

/** Parses a duration that must be a fixed span of time; the reason names what is wrong. */
export function parseFixedDurationMs(text: string): number | { error: string } {
  const parsed = parseIsoDuration(text);
  if ('error' in parsed) return parsed;
  const ms = fixedDurationMs(parsed);
  if (ms === undefined) return { error: `'${text}' uses years or months, whose length varies; use days or hours` };
  return ms;
}
