import type { Clock, TimerHandle } from '@pando/common';

/**
 * Fires `onSilence` once when nothing was heard from the master for `timeoutMs`. The driver
 * arms it on each subscription and feeds it on every accepted event (heartbeats included).
 * Timers come from a Clock so tests can drive time with a FakeClock.
 */
export class MasterWatchdog {
  private timer: TimerHandle | undefined;
  private timeoutMs = 0;

  constructor(
    private readonly clock: Clock,
    private readonly onSilence: () => void,
  ) {}

  /** Starts (or restarts) watching with a new timeout. */
  arm(timeoutMs: number): void {
    this.timeoutMs = timeoutMs;
    this.feed();
  }

  /** The master was heard from: restart the countdown. No-op when not armed. */
  feed(): void {
    if (this.timeoutMs <= 0) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.timeoutMs = 0;
      this.onSilence();
    }, this.timeoutMs);
    // A framework process must be able to exit while its driver waits.
    this.timer.unref?.();
  }

  /** Stops watching (master already declared lost, or driver stopped). Idempotent. */
  disarm(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timeoutMs = 0;
  }

  get armed(): boolean {
    return this.timer !== undefined;
  }
}
