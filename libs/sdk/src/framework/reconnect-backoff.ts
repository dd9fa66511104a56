/** Tuning for ReconnectBackoff; the defaults are the scheduler driver's. */
export interface ReconnectBackoffOptions {
  /** First delay (ms). Default 250. */
  initialMs?: number;
  /** Ceiling (ms). Default 5000. */
  maxMs?: number;
  /** Fraction of each delay that is randomised away, 0..1. Default 0.2. */
  jitter?: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  random?: () => number;
}

/**
 * Exponential backoff with jitter for re-subscribing: 250 ms doubling up to 5 s. The jitter
 * spreads the frameworks of a whole cluster that lost the same master, so the new one is not hit
 * by all of them in the same millisecond. Each delay lies in [(1 - jitter) * d, d] where d is the
 * un-jittered delay, so it never exceeds maxMs.
 */
export class ReconnectBackoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(options: ReconnectBackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 250;
    this.maxMs = options.maxMs ?? 5000;
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
    this.random = options.random ?? Math.random;
  }

  /** The delay before the next attempt; each call doubles the next one, up to the ceiling. */
  next(): number {
    // Cap the exponent so 2 ** attempt never overflows however long the master stays away.
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(base * (1 - this.jitter * this.random()));
  }

  /** Called after a success: the next failure starts again from the initial delay. */
  reset(): void {
    this.attempt = 0;
  }
}
