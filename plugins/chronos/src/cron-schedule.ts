import { CronExpressionParser, type CronExpression } from 'cron-parser';
import { countByWalking, type Schedule } from './schedule';
import { describeZone, ianaZone, resolveWall, UTC_ZONE, wallAt, type Zone } from './zoned-time';

/**
 * A cron expression evaluated on the wall clock of a zone.
 *
 * cron-parser's own zone handling (5.10.5) is not what cron does and is not even consistent
 * with itself: `next()` moves a time that does not exist on the spring-forward day to after the
 * gap (02:30 runs at 03:30), `prev()` skips it instead, `prev()` returns both instants of a
 * repeated fall-back time while `next()` returns one, and `prev()` can fail outright in zones
 * with 30-minute shifts (Australia/Lord_Howe). So cron-parser is used only in UTC, where no time
 * is missing or repeated, to find matching *wall-clock* times; this class maps each wall time
 * back to an instant in the job's zone:
 * - a wall time that does not exist (spring forward) is skipped;
 * - a wall time that exists twice (fall back) runs once, at the first (earlier) instant. This
 *   holds for wildcard fields too: `0 * * * *` runs at 01:00 once on the fall-back day.
 */
export interface CronScheduleOptions {
  /** The job's `scheduleTimeZone` ('' or undefined: UTC). */
  readonly timeZone?: string;
  /** Seeds cron-parser's `H` (hash) fields so they pick the same value on every parse: the job name. */
  readonly hashSeed?: string;
}

/** The `@` shortcuts accepted, as in Vixie cron (without `@reboot`, which has no instant). */
const SHORTCUTS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
/** A runaway guard: consecutive skipped wall times are at most a DST transition's worth. */
const MAX_STEPS = 10_000;

/** Checks and normalizes an expression's shape; returns a reason instead of throwing. */
export function normalizeCron(text: string): string | { error: string } {
  const trimmed = text.trim();
  if (trimmed.startsWith('@')) {
    const expanded = SHORTCUTS[trimmed.toLowerCase()];
    if (expanded === undefined) {
      return { error: `'${trimmed}' is not a supported shortcut (${Object.keys(SHORTCUTS).join(', ')})` };
    }
    return expanded;
  }
  const fields = trimmed.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5 && fields.length !== 6) {
    return {
      error: `'${text}' has ${fields.length} field${fields.length === 1 ? '' : 's'}; a cron expression has 5 (minute hour day-of-month month day-of-week) or 6 (with seconds first)`,
    };
  }
  return fields.join(' ');
}

export class CronSchedule implements Schedule {
  readonly kind = 'cron';
  private readonly zone: Zone;

  private constructor(
    private readonly text: string,
    private readonly expression: CronExpression,
    timeZone: string,
  ) {
    this.zone = timeZone === '' ? UTC_ZONE : ianaZone(timeZone);
  }

  /** Parses the expression; throws an Error whose message says what is wrong with it. */
  static parse(text: string, options: CronScheduleOptions = {}): CronSchedule {
    const normalized = normalizeCron(text);
    if (typeof normalized !== 'string') throw new Error(normalized.error);
    let expression: CronExpression;
    try {
      expression = CronExpressionParser.parse(normalized, {
        tz: 'UTC',
        currentDate: new Date(0),
        ...(options.hashSeed === undefined ? {} : { hashSeed: options.hashSeed }),
      });
    } catch (err) {
      throw new Error(`'${text}' is not a valid cron expression: ${err instanceof Error ? err.message : String(err)}`);
    }
    const schedule = new CronSchedule(text, expression, options.timeZone ?? '');
    // cron-parser refuses impossible dates itself (`0 0 31 4 *`); this guards anything it lets through.
    try {
      schedule.nextWall(0);
    } catch {
      throw new Error(`'${text}' never matches a date`);
    }
    return schedule;
  }

  next(afterMs: number): number | undefined {
    assertFinite(afterMs);
    let wall = wallAt(this.zone, afterMs);
    for (let steps = 0; steps < MAX_STEPS; steps++) {
      wall = this.nextWall(wall);
      const instant = this.instantOf(wall);
      // A repeated wall time maps to its first instant, which may already be past: keep going.
      if (instant !== undefined && instant > afterMs) return instant;
    }
    throw new Error(`cron '${this.text}': no next instant found`);
  }

  previous(atOrBeforeMs: number): number | undefined {
    assertFinite(atOrBeforeMs);
    // Walk the wall clock back from the wall time at that instant (cron-parser's prev is strict).
    let cursor = wallAt(this.zone, atOrBeforeMs) + 1;
    let candidate: number | undefined;
    for (let steps = 0; steps < MAX_STEPS && candidate === undefined; steps++) {
      const wall = this.prevWall(cursor);
      if (wall === undefined) return undefined;
      cursor = wall;
      const instant = this.instantOf(wall);
      if (instant !== undefined && instant <= atOrBeforeMs) candidate = instant;
    }
    if (candidate === undefined) throw new Error(`cron '${this.text}': no previous instant found`);
    // Inside the second pass of a fall-back hour the wall clock reads earlier than wall times
    // that already ran, so the walk above can land one or two instants short: catch up.
    for (let n = this.next(candidate); n !== undefined && n <= atOrBeforeMs; n = this.next(candidate)) candidate = n;
    return candidate;
  }

  count(afterMs: number, atOrBeforeMs: number, limit: number): number {
    return countByWalking(this, afterMs, atOrBeforeMs, limit);
  }

  describe(): string {
    return `cron '${this.text}' in ${describeZone(this.zone)}`;
  }

  /** The instant a wall time stands for in the zone: none in a gap, the first when repeated. */
  private instantOf(wallMs: number): number | undefined {
    const resolved = resolveWall(this.zone, wallMs);
    if (resolved.kind === 'gap') return undefined;
    return resolved.kind === 'unique' ? resolved.instantMs : resolved.earlierMs;
  }

  private nextWall(wallMs: number): number {
    this.expression.reset(new Date(wallMs));
    return this.expression.next().getTime();
  }

  private prevWall(wallMs: number): number | undefined {
    this.expression.reset(new Date(wallMs));
    try {
      return this.expression.prev().getTime();
    } catch {
      return undefined; // before the earliest date cron-parser handles
    }
  }
}

function assertFinite(ms: number): void {
  if (!Number.isFinite(ms)) throw new Error(`cron schedules need a finite time, not ${ms}`);
}
