import type { Clock, TimerHandle } from '../clock';
import { RetryWheel } from './retry-wheel';

/** A clock that moves only when told to, counting the timers it was asked for. */
class ManualClock implements Clock {
  private timers: Array<{ at: number; fn: () => void }> = [];
  armed = 0;
  constructor(public current = 1_000_000) {}
  now(): number {
    return this.current;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    this.armed++;
    const timer = { at: this.current + ms, fn };
    this.timers.push(timer);
    return timer as unknown as TimerHandle;
  }
  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t !== (handle as unknown));
  }
  get pending(): number {
    return this.timers.length;
  }
  advance(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = due.at;
      due.fn();
    }
    this.current = end;
  }
}

describe('RetryWheel', () => {
  it('hands items out when due (rounded up to the tick, never early), together, in the order scheduled', () => {
    const clock = new ManualClock();
    const due: string[][] = [];
    const wheel = new RetryWheel<string>(clock, (items) => due.push(items), 100);
    wheel.schedule('a', 1000);
    wheel.schedule('b', 950);
    wheel.schedule('c', 1050);
    clock.advance(999);
    expect(due).toEqual([]);
    clock.advance(1);
    expect(due).toEqual([['a', 'b']]);
    clock.advance(99);
    expect(due).toHaveLength(1);
    clock.advance(1);
    expect(due).toEqual([['a', 'b'], ['c']]);
    expect(wheel.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('runs thousands of items on one timer; cancel and re-schedule replace a deadline', () => {
    const clock = new ManualClock();
    const due: number[] = [];
    const wheel = new RetryWheel<number>(clock, (items) => due.push(...items), 100);
    for (let i = 0; i < 5000; i++) wheel.schedule(i, 1000 + (i % 3) * 500);
    expect(clock.pending).toBe(1);
    wheel.cancel(0);
    wheel.schedule(1, 5000);
    expect(wheel.has(0)).toBe(false);
    clock.advance(1000);
    expect(due).toHaveLength(1666);
    expect(due.every((i) => i % 3 === 0)).toBe(true);
    clock.advance(1000);
    expect(due).toHaveLength(4998);
    expect(due).not.toContain(0);
    expect(due).not.toContain(1);
    clock.advance(3000);
    expect(due).toContain(1);
    expect(clock.armed).toBeLessThan(10);
  });

  it('lets onDue schedule again, and stops its timer on clear', () => {
    const clock = new ManualClock();
    let rounds = 0;
    const wheel: RetryWheel<string> = new RetryWheel<string>(clock, (items) => {
      rounds++;
      for (const item of items) if (rounds < 3) wheel.schedule(item, 0);
    }, 100);
    wheel.schedule('x', 100);
    clock.advance(1000);
    expect(rounds).toBe(3);
    wheel.schedule('y', 100);
    wheel.clear();
    expect(clock.pending).toBe(0);
    clock.advance(1000);
    expect(rounds).toBe(3);
  });
});
