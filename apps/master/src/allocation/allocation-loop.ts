import { createLogger, InputError, systemClock, type Clock, type TimerHandle } from '@pando/common';
import type { Allocation, Allocator } from './allocator.interface';

export const DEFAULT_ALLOCATION_INTERVAL_MS = 1000;
export const MIN_ALLOCATION_INTERVAL_MS = 10;

export interface AllocationLoopOptions {
  /** Time between batch cycles; default 1000, at least 10. */
  intervalMs?: number;
  clock?: Clock;
  /** Called when a cycle or the callback throws; default logs it. The loop keeps going. */
  onError?: (err: unknown) => void;
}

/**
 * Drives the allocator: a batch cycle every interval, plus a cycle soon after `trigger()`
 * (agent added, resources recovered, revive...). Triggers coalesce: any number of them before a
 * cycle starts give that one cycle, and any number during a cycle give exactly one more. Cycles
 * never overlap, and after any cycle the interval starts over, so a busy master does not run
 * batch cycles right after event-driven ones.
 */
export class AllocationLoop {
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly onError: (err: unknown) => void;
  private periodic: TimerHandle | null = null;
  private soon: TimerHandle | null = null;
  private started = false;
  private running = false;
  private again = false;
  private cycles = 0;

  constructor(
    private readonly allocator: Pick<Allocator, 'allocate'>,
    private readonly onAllocations: (allocations: Allocation[]) => void,
    options: AllocationLoopOptions = {},
  ) {
    const intervalMs = options.intervalMs ?? DEFAULT_ALLOCATION_INTERVAL_MS;
    if (!Number.isFinite(intervalMs) || intervalMs < MIN_ALLOCATION_INTERVAL_MS) {
      throw new InputError(`invalid allocation interval ${intervalMs} ms: must be at least ${MIN_ALLOCATION_INTERVAL_MS}`);
    }
    this.intervalMs = intervalMs;
    this.clock = options.clock ?? systemClock;
    const log = createLogger('allocation-loop');
    this.onError = options.onError ?? ((err) => log.error({ err }, 'allocation cycle failed'));
  }

  /** Cycles run so far (for metrics and tests). */
  get cycleCount(): number {
    return this.cycles;
  }

  /** Starts the batch timer. Idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedulePeriodic();
  }

  /** Stops all timers; a cycle in progress finishes, nothing runs after it. Idempotent. */
  stop(): void {
    this.started = false;
    this.again = false;
    this.clear();
  }

  /** Asks for a cycle soon. Coalesced; ignored while stopped. */
  trigger(): void {
    if (!this.started) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.soon !== null) return;
    this.soon = this.clock.setTimeout(() => {
      this.soon = null;
      this.cycle();
    }, 0);
  }

  private cycle(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    // This cycle serves every trigger made so far, so a pending one would only repeat it.
    this.clear();
    this.running = true;
    try {
      const allocations = this.allocator.allocate(this.clock.now());
      if (allocations.length > 0) this.onAllocations(allocations);
    } catch (err) {
      this.onError(err);
    } finally {
      this.running = false;
      this.cycles++;
    }
    if (!this.started) return;
    this.schedulePeriodic();
    if (this.again) {
      this.again = false;
      this.trigger();
    }
  }

  private schedulePeriodic(): void {
    if (this.periodic !== null) this.clock.clearTimeout(this.periodic);
    this.periodic = this.clock.setTimeout(() => {
      this.periodic = null;
      this.cycle();
    }, this.intervalMs);
    // The master's connections keep the process alive; the allocation timer alone should not.
    this.periodic.unref?.();
  }

  private clear(): void {
    if (this.periodic !== null) this.clock.clearTimeout(this.periodic);
    if (this.soon !== null) this.clock.clearTimeout(this.soon);
    this.periodic = null;
    this.soon = null;
  }
}
