import type { Clock, TimerHandle } from '@pando/common';

interface Timer {
  at: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to, for specs (timers fire in order as time advances).
 * (Belongs in libs/testing once that exists.)
 */
export class FakeClock implements Clock {
  private timers: Timer[] = [];

  constructor(private current = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: Timer = { at: this.current + ms, fn, cancelled: false };
    this.timers.push(timer);
    return timer as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    (handle as unknown as Timer).cancelled = true;
  }

  /** Moves time forward, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      const due = this.timers.filter((t) => !t.cancelled && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.current = due.at;
      due.cancelled = true;
      this.timers = this.timers.filter((t) => t !== due);
      due.fn();
    }
    this.current = end;
  }
}
