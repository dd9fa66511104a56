/**
 * A schedule is a strictly increasing sequence of instants (epoch milliseconds). It is derived
 * from the job's stored `schedule`/`cron` text every time it is needed and never written back:
 * what the user posted stays what GET returns.
 */
export interface Schedule {
  readonly kind: 'iso8601' | 'cron';
  /** The first instant strictly after `afterMs`, or undefined when the schedule has no more. */
  next(afterMs: number): number | undefined;
  /** The last instant at or before `atOrBeforeMs`, or undefined when there is none. */
  previous(atOrBeforeMs: number): number | undefined;
  /**
   * How many instants fall in (afterMs, atOrBeforeMs], counting no further than `limit` (so a
   * per-second schedule over a week-long outage stays cheap).
   */
  count(afterMs: number, atOrBeforeMs: number, limit: number): number;
  /** A one-line human description, for logs and the UI. */
  describe(): string;
}

/** Lists the instants in (afterMs, atOrBeforeMs], oldest first, at most `limit` of them. */
export function instantsBetween(schedule: Schedule, afterMs: number, atOrBeforeMs: number, limit: number): number[] {
  const instants: number[] = [];
  let cursor = afterMs;
  while (instants.length < limit) {
    const next = schedule.next(cursor);
    if (next === undefined || next > atOrBeforeMs) break;
    instants.push(next);
    cursor = next;
  }
  return instants;
}

/** Lists the latest instants in (afterMs, atOrBeforeMs], oldest first, at most `limit` of them. */
export function latestInstantsBetween(schedule: Schedule, afterMs: number, atOrBeforeMs: number, limit: number): number[] {
  const instants: number[] = [];
  let cursor = atOrBeforeMs;
  while (instants.length < limit) {
    const previous = schedule.previous(cursor);
    if (previous === undefined || previous <= afterMs) break;
    instants.push(previous);
    cursor = previous - 1;
  }
  return instants.reverse();
}

/** Counts instants in (afterMs, atOrBeforeMs] by walking `next`, stopping at `limit`. */
export function countByWalking(schedule: Schedule, afterMs: number, atOrBeforeMs: number, limit: number): number {
  let count = 0;
  let cursor = afterMs;
  while (count < limit) {
    const next = schedule.next(cursor);
    if (next === undefined || next > atOrBeforeMs) break;
    count += 1;
    cursor = next;
  }
  return count;
}
