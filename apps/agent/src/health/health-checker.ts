import type { Clock, Logger, TimerHandle } from '@pando/common';
import type { HealthCheck } from '@pando/protocol';

/** One run of a check: passed or not, and what to tell the operator. */
export interface ProbeResult {
  ok: boolean;
  message: string;
}

/** Runs the check once; must settle within `timeoutMs` (a timeout is a failure, not a throw). */
export type HealthProbe = (timeoutMs: number) => Promise<ProbeResult>;

export interface HealthListener {
  /** The verdict changed (the first verdict counts as a change). */
  healthChanged(healthy: boolean, message: string): void;
  /** maxConsecutiveFailures failures in a row, after the grace period: the task must be killed. */
  failedTooOften(failures: number, message: string): void;
}

export interface HealthCheckerState {
  /** When the task was launched: the grace period counts from it. */
  launchedAt: number;
  /** The verdict from before an agent restart, if any (a healthy task is past its grace period). */
  healthy?: boolean;
}

/**
 * The health check loop of one task, with Mesos's semantics: the first check `delaySeconds`
 * after start, the next `intervalSeconds` after each one ends; failures are ignored during the
 * grace period until the first success; a success resets the count of consecutive failures; an
 * update only when the verdict changes; after `maxConsecutiveFailures` failures in a row the
 * checker stops and asks for the task to be killed (0: never).
 */
export class HealthChecker {
  private timer?: TimerHandle;
  private stopped = false;
  private healthy?: boolean;
  /** Still in the grace period's "not yet healthy once" phase. */
  private initializing: boolean;
  private failures = 0;

  constructor(
    private readonly check: HealthCheck,
    private readonly probe: HealthProbe,
    private readonly listener: HealthListener,
    private readonly clock: Clock,
    private readonly state: HealthCheckerState,
    private readonly log: Logger,
  ) {
    this.healthy = state.healthy;
    this.initializing = state.healthy !== true;
  }

  start(): void {
    this.schedule(this.check.delaySeconds * 1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => void this.runOnce(), ms);
    this.timer.unref?.();
  }

  private async runOnce(): Promise<void> {
    this.timer = undefined;
    let result: ProbeResult;
    try {
      result = await this.probe(this.check.timeoutSeconds * 1000);
    } catch (err) {
      result = { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
    if (this.stopped) return;
    if (result.ok) this.success(result.message);
    else if (!this.failure(result.message)) return;
    this.schedule(this.check.intervalSeconds * 1000);
  }

  private success(message: string): void {
    this.initializing = false;
    this.failures = 0;
    if (this.healthy === true) return;
    this.healthy = true;
    this.listener.healthChanged(true, message);
  }

  /** Returns false when the checker stopped (the task is to be killed). */
  private failure(message: string): boolean {
    const inGrace = this.clock.now() - this.state.launchedAt < this.check.gracePeriodSeconds * 1000;
    if (this.initializing && inGrace) {
      this.log.debug({ message }, 'health check failed during the grace period; ignored');
      return true;
    }
    this.failures++;
    this.log.info({ failures: this.failures, max: this.check.maxConsecutiveFailures, message }, 'health check failed');
    if (this.healthy !== false) {
      this.healthy = false;
      this.listener.healthChanged(false, message);
    }
    if (this.check.maxConsecutiveFailures > 0 && this.failures >= this.check.maxConsecutiveFailures) {
      this.stop();
      this.listener.failedTooOften(this.failures, message);
      return false;
    }
    return true;
  }
}
