import type { Clock, TimerHandle } from '../clock';

/**
 * Many retry deadlines on one clock timer (a timing wheel): tens of thousands of status updates
 * waiting for an acknowledgement would otherwise hold a timer each, armed and cleared once per
 * update. Deadlines are rounded up to the next tick (so an item is never due early, and at most
 * `tickMs` late); the items due in one tick are handed to `onDue` together, in the order they were
 * scheduled. Scheduling and cancelling cost a Set operation. `onDue` may schedule items again.
 */
export class RetryWheel<T> {
  private readonly slots = new Map<number, Set<T>>();
  private readonly slotOf = new Map<T, number>();
  private timer: TimerHandle | undefined;
  private timerSlot = Infinity;
  /** Slots up to this one have been handed out. */
  private doneSlot: number;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (items: T[]) => void,
    private readonly tickMs = 100,
  ) {
    this.doneSlot = Math.floor(clock.now() / tickMs) - 1;
  }

  /** Items waiting. */
  get size(): number {
    return this.slotOf.size;
  }

  has(item: T): boolean {
    return this.slotOf.has(item);
  }

  /** Due in `delayMs` (rounded up to a tick); replaces an earlier schedule of the same item. */
  schedule(item: T, delayMs: number): void {
    this.cancel(item);
    const slot = Math.max(Math.ceil((this.clock.now() + delayMs) / this.tickMs), this.doneSlot + 1);
    let items = this.slots.get(slot);
    if (!items) this.slots.set(slot, (items = new Set()));
    items.add(item);
    this.slotOf.set(item, slot);
    if (slot < this.timerSlot) this.arm(slot);
  }

  cancel(item: T): void {
    const slot = this.slotOf.get(item);
    if (slot === undefined) return;
    this.slotOf.delete(item);
    const items = this.slots.get(slot)!;
    items.delete(item);
    if (items.size === 0) this.slots.delete(slot);
  }

  /** Forgets everything and stops the timer. */
  clear(): void {
    this.slots.clear();
    this.slotOf.clear();
    this.disarm();
  }

  private arm(slot: number): void {
    this.disarm();
    this.timerSlot = slot;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, slot * this.tickMs - this.clock.now()));
    this.timer.unref?.();
  }

  private disarm(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerSlot = Infinity;
  }

  private fire(): void {
    this.timer = undefined;
    this.timerSlot = Infinity;
    const now = Math.floor(this.clock.now() / this.tickMs);
    const due: T[] = [];
    for (const slot of [...this.slots.keys()].sort((a, b) => a - b)) {
      if (slot > now) break;
      for (const item of this.slots.get(slot)!) {
        this.slotOf.delete(item);
        due.push(item);
      }
      this.slots.delete(slot);
    }
    this.doneSlot = Math.max(this.doneSlot, now);
    const next = this.earliestSlot();
    if (next !== undefined) this.arm(next);
    if (due.length > 0) this.onDue(due);
  }

  private earliestSlot(): number | undefined {
    let earliest: number | undefined;
    for (const slot of this.slots.keys()) if (earliest === undefined || slot < earliest) earliest = slot;
    return earliest;
  }
}
