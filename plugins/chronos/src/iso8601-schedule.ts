import {
  approximateMs,
  hasCalendarPart,
  isZeroDuration,
  parseIsoDuration,
  timePartMs,
  type IsoDuration,
} from './iso-duration';
import { countByWalking, type Schedule } from './schedule';
import {
  addCalendar,
  describeZone,
  formatInstant,
  ianaZone,
  resolveWall,
  UTC_ZONE,
  wallAt,
  wallToInstantLenient,
  type Zone,
} from './zoned-time';

/**
 * Chronos's repeating interval `R[n]/<start>/<period>`:
 * - `R` repeats forever, `Rn` n times in all counting the start (`R0` never runs);
 * - an empty start means "when the job was created" (Chronos: start immediately);
 * - a start in the past still counts from the start: instants are start + k x period.
 *
 * Occurrence k is computed from the start directly, not by stepping from occurrence k-1, so a
 * month period starting on the 31st gives Jan 31, Feb 28, Mar 31 (stepping would drift to the 28th).
 *
 * Zones: with `scheduleTimeZone`, the start's date and time fields are read as wall-clock time in
 * that zone and any designator in the text is ignored (Chronos: the zone "takes precedence").
 * Without it, a `Z`/`+hh:mm` designator fixes the offset, and no designator means UTC.
 * Calendar parts of the period (years, months, weeks, days) step the wall clock in the zone, so
 * `P1D` at 02:30 stays at 02:30 across DST changes; on the spring-forward day, when 02:30 does not
 * exist, that occurrence is skipped, as cron does; a repeated wall time runs once, at the first
 * (earlier) instant. The time part (hours, minutes, seconds) is elapsed time: `PT1H` is every
 * 3,600 s whatever the wall clock does.
 */
export interface Iso8601ScheduleOptions {
  /** The job's `scheduleTimeZone` ('' or undefined: none). */
  readonly timeZone?: string;
  /** When the job was first stored: anchors an empty start. */
  readonly createdAtMs: number;
}

export interface ParsedIso8601 {
  /** undefined: forever. */
  readonly repeats: number | undefined;
  /** undefined: empty start. */
  readonly start: { readonly wallMs: number; readonly offsetMs: number | undefined } | undefined;
  readonly period: IsoDuration;
}

const START_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;
/** A runaway guard: estimates are off by a few periods at most. */
const MAX_STEPS = 100_000;

/** Parses the text of a repeating interval; returns a reason instead of throwing. */
export function parseIso8601(text: string): ParsedIso8601 | { error: string } {
  const parts = text.split('/');
  if (parts.length !== 3) {
    return { error: `'${text}' is not an ISO 8601 repeating interval R[n]/<start>/<period> (like R/2026-01-01T00:00:00Z/P1D)` };
  }
  const [repeatText, startText, periodText] = parts as [string, string, string];
  const repeatMatch = /^R(\d*)$/.exec(repeatText);
  if (!repeatMatch) return { error: `repetitions '${repeatText}' must be R (forever) or Rn (n times)` };
  const repeats = repeatMatch[1] === '' ? undefined : Number(repeatMatch[1]);
  if (repeats !== undefined && !Number.isSafeInteger(repeats)) return { error: `repetitions '${repeatText}' are too many` };
  const start = startText === '' ? undefined : parseStart(startText);
  if (start && 'error' in start) return start;
  const period = parseIsoDuration(periodText);
  if ('error' in period) return { error: `period ${period.error}` };
  if (isZeroDuration(period) && (repeats === undefined || repeats > 1)) {
    return { error: `period '${periodText}' must be longer than zero when the job repeats` };
  }
  return { repeats, start, period };
}

export class Iso8601Schedule implements Schedule {
  readonly kind = 'iso8601';
  private readonly zone: Zone;
  private readonly startWallMs: number;
  private readonly startMs: number;
  private readonly calendar: boolean;
  private readonly stepMs: number;
  private readonly approxStepMs: number;

  constructor(
    private readonly text: string,
    private readonly parsed: ParsedIso8601,
    options: Iso8601ScheduleOptions,
  ) {
    const timeZone = options.timeZone ?? '';
    if (timeZone !== '') this.zone = ianaZone(timeZone);
    else if (parsed.start?.offsetMs !== undefined) this.zone = { kind: 'fixed', offsetMs: parsed.start.offsetMs };
    else this.zone = UTC_ZONE;
    this.startWallMs = parsed.start ? parsed.start.wallMs : wallAt(this.zone, options.createdAtMs);
    this.startMs = parsed.start ? wallToInstantLenient(this.zone, this.startWallMs) : options.createdAtMs;
    this.calendar = hasCalendarPart(parsed.period);
    this.stepMs = timePartMs(parsed.period);
    this.approxStepMs = Math.max(1, approximateMs(parsed.period));
  }

  next(afterMs: number): number | undefined {
    const last = this.lastIndex();
    if (last < 0) return undefined;
    if (!this.calendar) {
      const k = afterMs < this.startMs ? 0 : this.stepMs === 0 ? last + 1 : Math.floor((afterMs - this.startMs) / this.stepMs) + 1;
      return k <= last ? this.startMs + k * this.stepMs : undefined;
    }
    let k = this.indexAtOrBefore(afterMs) + 1;
    for (let steps = 0; k <= last; k++, steps++) {
      if (steps > MAX_STEPS) throw new Error(`schedule '${this.text}': no next instant found after ${formatInstant(afterMs)}`);
      const instant = this.instantAt(k);
      if (instant !== undefined && instant > afterMs) return instant;
    }
    return undefined;
  }

  previous(atOrBeforeMs: number): number | undefined {
    const k = this.indexAtOrBefore(atOrBeforeMs);
    return k < 0 ? undefined : this.instantAt(k);
  }

  count(afterMs: number, atOrBeforeMs: number, limit: number): number {
    if (atOrBeforeMs <= afterMs || limit <= 0) return 0;
    if (this.calendar) return countByWalking(this, afterMs, atOrBeforeMs, limit);
    const first = this.next(afterMs);
    const lastInstant = this.previous(atOrBeforeMs);
    if (first === undefined || lastInstant === undefined || lastInstant < first) return 0;
    const n = this.stepMs === 0 ? 1 : (lastInstant - first) / this.stepMs + 1;
    return Math.min(limit, n);
  }

  describe(): string {
    const times = this.parsed.repeats === undefined ? 'forever' : `${this.parsed.repeats} times`;
    return `'${this.text}': from ${formatInstant(this.startMs)}, ${times}, zone ${describeZone(this.zone)}`;
  }

  /** Occurrence k's instant, or undefined when its wall-clock time does not exist (DST gap). */
  private instantAt(k: number): number | undefined {
    if (!this.calendar) return this.startMs + k * this.stepMs;
    const p = this.parsed.period;
    const wall = addCalendar(this.startWallMs, k * p.years, k * p.months, k * (p.weeks * 7 + p.days));
    const resolved = resolveWall(this.zone, wall);
    if (resolved.kind === 'gap') return undefined;
    const instant = resolved.kind === 'unique' ? resolved.instantMs : resolved.earlierMs;
    return instant + k * this.stepMs;
  }

  /** The highest index; -1 when the schedule never runs (R0). */
  private lastIndex(): number {
    return this.parsed.repeats === undefined ? Number.MAX_SAFE_INTEGER : this.parsed.repeats - 1;
  }

  /** The largest index whose instant exists and is at or before the time; -1 when none. */
  private indexAtOrBefore(timeMs: number): number {
    const last = this.lastIndex();
    if (last < 0 || timeMs < this.startMs) return -1;
    if (!this.calendar) {
      const k = this.stepMs === 0 ? 0 : Math.floor((timeMs - this.startMs) / this.stepMs);
      return Math.min(k, last);
    }
    // Calendar months and years average out: the estimate is within a period of the truth, and
    // the margin of 2 lets the walk down find it. The climb below is only a safety net.
    let k = Math.min(last, Math.floor((timeMs - this.startMs) / this.approxStepMs) + 2);
    for (let steps = 0; k < last && steps < MAX_STEPS; steps++) {
      // One occurrence may be missing (a DST gap), never two in a row: peek past it.
      const gap = this.instantAt(k + 1) === undefined;
      const following = gap ? (k + 2 <= last ? this.instantAt(k + 2) : undefined) : this.instantAt(k + 1);
      if (following === undefined || following > timeMs) break;
      k += gap ? 2 : 1;
    }
    return this.firstExistingIndexAtOrBefore(k, timeMs);
  }

  /** Walks down from k to the first index whose instant exists and is at or before the time. */
  private firstExistingIndexAtOrBefore(from: number, timeMs: number): number {
    for (let k = from, steps = 0; k >= 0 && steps <= MAX_STEPS; k--, steps++) {
      const instant = this.instantAt(k);
      if (instant !== undefined && instant <= timeMs) return k;
    }
    return -1;
  }
}

function parseStart(text: string): { wallMs: number; offsetMs: number | undefined } | { error: string } {
  const bad = { error: `start '${text}' is not an ISO 8601 date-time (like 2026-01-01T09:30:00Z)` };
  const m = START_PATTERN.exec(text);
  if (!m) return bad;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
    number, number, number, number, number, number,
  ];
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const lastDay = new Date(Date.UTC(2000, month, 0)).getUTCDate();
  const daysInMonth = month === 2 && !isLeapYear(year) ? 28 : lastDay;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
    return { error: `start '${text}' is not a valid date-time` };
  }
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, millis));
  date.setUTCFullYear(year);
  return { wallMs: date.getTime(), offsetMs: m[8] === undefined ? undefined : parseDesignator(m[8]) };
}

function parseDesignator(designator: string): number {
  if (designator === 'Z') return 0;
  const sign = designator.startsWith('-') ? -1 : 1;
  const digits = designator.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (hours * 60 + minutes) * 60_000;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
