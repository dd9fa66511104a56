import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { describeError, type TimerHandle } from '@pando/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';

/** How often every app is re-evaluated even when nothing happened (timers: backoff, unreachable, deadlines). */
export const PERIODIC_MS = 1000;
/**
 * Least time between two runs. A burst of status updates for a 10,000-task app then costs one
 * O(tasks) evaluation per 20 ms, not one per update (which would be O(n²)).
 */
export const MIN_GAP_MS = 20;

interface Step {
  name: string;
  priority: number;
  run(now: number, periodic: boolean): void;
}

/**
 * The plugin's control loop: steps (instance keeper, deployment runner, kill queue sweeps, ...)
 * registered by priority and run together, soon after something changed (coalesced) and every
 * second. Everything that decides what to launch or kill runs here, never in the status path,
 * so that a status update stays O(1).
 */
@Injectable()
export class ConvergenceLoop implements OnModuleDestroy {
  private readonly steps: Step[] = [];
  private soon: TimerHandle | undefined;
  private periodic: TimerHandle | undefined;
  private lastRun = Number.NEGATIVE_INFINITY;
  private stopped = false;
  runs = 0;

  constructor(@Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext) {}

  register(name: string, priority: number, run: Step['run']): void {
    this.steps.push({ name, priority, run });
    this.steps.sort((a, b) => a.priority - b.priority);
  }

  /** Starts the periodic runs (after state is loaded). */
  start(): void {
    this.stopped = false;
    this.schedulePeriodic();
  }

  /** Something changed: run soon, coalescing with other pokes. */
  poke(): void {
    if (this.soon !== undefined || this.stopped) return;
    const delay = Math.max(0, this.lastRun + MIN_GAP_MS - this.context.clock.now());
    this.soon = this.context.clock.setTimeout(() => {
      this.soon = undefined;
      this.runNow(false);
    }, delay);
  }

  /** Runs every step now (tests call it directly). */
  runNow(periodic = false): void {
    const now = this.context.clock.now();
    this.lastRun = now;
    this.runs++;
    for (const step of this.steps) {
      try {
        step.run(now, periodic);
      } catch (err) {
        this.context.log.error({ step: step.name, err: describeError(err) }, `marathon step '${step.name}' failed: ${describeError(err)}`);
      }
    }
  }

  onModuleDestroy(): void {
    this.stop();
  }

  stop(): void {
    this.stopped = true;
    if (this.soon !== undefined) this.context.clock.clearTimeout(this.soon);
    if (this.periodic !== undefined) this.context.clock.clearTimeout(this.periodic);
    this.soon = undefined;
    this.periodic = undefined;
  }

  private schedulePeriodic(): void {
    if (this.stopped) return;
    this.periodic = this.context.clock.setTimeout(() => {
      this.runNow(true);
      this.schedulePeriodic();
    }, PERIODIC_MS);
    this.periodic.unref?.();
  }
}
