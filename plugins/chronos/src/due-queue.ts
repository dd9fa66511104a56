import type { Clock, TimerHandle } from '@pando/common';

/**
 * Ids waiting for a time, grouped by that time: many runs share an instant (a thousand jobs at
 * the top of the minute), so one timer for the earliest time serves them all and they are taken
 * out together, in one launch round.
 */
export class DueQueue {
  private readonly buckets = new Map<number, Set<string>>();
  /** Distinct times, ascending. */
  private readonly times: number[] = [];
  private readonly timeOf = new Map<string, number>();

  get size(): number {
    return this.timeOf.size;
  }

  has(id: string): boolean {
    return this.timeOf.has(id);
  }

  /** Adds or moves `id` to `atMs`. */
  add(id: string, atMs: number): void {
    this.remove(id);
    let bucket = this.buckets.get(atMs);
    if (!bucket) {
      bucket = new Set();
      this.buckets.set(atMs, bucket);
      this.times.splice(this.insertionPoint(atMs), 0, atMs);
    }
    bucket.add(id);
    this.timeOf.set(id, atMs);
  }

  remove(id: string): void {
    const at = this.timeOf.get(id);
    if (at === undefined) return;
    this.timeOf.delete(id);
    const bucket = this.buckets.get(at)!;
    bucket.delete(id);
    if (bucket.size === 0) {
      this.buckets.delete(at);
      this.times.splice(this.insertionPoint(at), 1);
    }
  }

  /** The earliest time anything waits for, or undefined. */
  earliest(): number | undefined {
    return this.times[0];
  }

  /** Removes and returns every id due at or before `nowMs`, earliest first. */
  takeDue(nowMs: number): string[] {
    const due: string[] = [];
    while (this.times.length > 0 && this.times[0]! <= nowMs) {
      const at = this.times.shift()!;
      for (const id of this.buckets.get(at)!) {
        due.push(id);
        this.timeOf.delete(id);
      }
      this.buckets.delete(at);
    }
    return due;
  }

  private insertionPoint(atMs: number): number {
    let lo = 0;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid]! < atMs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * A DueQueue with its timer: one clock timer, set for the earliest time, hands everything due
 * to `onDue` in one call (so runs of one instant are decided together).
 */
export class WakeQueue {
  private readonly queue = new DueQueue();
  private wake: { handle: TimerHandle; atMs: number } | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (ids: string[], nowMs: number) => void,
  ) {}

  earliest(): number | undefined {
    return this.queue.earliest();
  }

  add(id: string, atMs: number): void {
    this.queue.add(id, atMs);
    this.reschedule();
  }

  remove(id: string): void {
    this.queue.remove(id);
    this.reschedule();
  }

  stop(): void {
    if (this.wake) this.clock.clearTimeout(this.wake.handle);
    this.wake = undefined;
  }

  private reschedule(): void {
    const earliest = this.queue.earliest();
    if (this.wake && this.wake.atMs === earliest) return;
    this.stop();
    if (earliest === undefined) return;
    const handle = this.clock.setTimeout(() => this.fire(), Math.max(0, earliest - this.clock.now()));
    this.wake = { handle, atMs: earliest };
  }

  private fire(): void {
    this.wake = undefined;
    const now = this.clock.now();
    const due = this.queue.takeDue(now);
    try {
      if (due.length > 0) this.onDue(due, now);
    } finally {
      this.reschedule();
    }
  }
}
