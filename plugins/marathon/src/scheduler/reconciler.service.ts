import { Inject, Injectable } from '@nestjs/common';
import { describeError } from '@pando/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext, type ReconcileTask } from '@pando/sdk';
import { MARATHON_OPTIONS } from '../marathon.tokens';
import type { MarathonOptions } from '../marathon.options';
import { TaskTracker } from '../state/task-tracker.service';
import { ConvergenceLoop } from './convergence-loop.service';

/**
 * Tasks per RECONCILE call: the master takes up to 100,000, but one call is one NATS message
 * (1 MiB by default) and a task reference is about 100 bytes.
 */
const RECONCILE_CHUNK = 2_000;
/** Tasks not heard of this long after being asked about are asked about again. */
export const UNCONFIRMED_RETRY_MS = 15_000;

/**
 * Explicit reconciliation: after every subscription (the driver also sends the implicit one,
 * which reveals tasks we have no record of), periodically, and again for tasks the master has
 * not told us about yet (recovered from the journal, or launched by an ACCEPT whose reply was
 * lost). The master answers unknown tasks with GONE or UNKNOWN, which drops them.
 */
@Injectable()
export class Reconciler {
  private lastFullAt = Number.NEGATIVE_INFINITY;
  private lastUnconfirmedAt = Number.NEGATIVE_INFINITY;
  requests = 0;

  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext,
    @Inject(MARATHON_OPTIONS) private readonly options: MarathonOptions,
    private readonly tracker: TaskTracker,
    loop: ConvergenceLoop,
  ) {
    loop.register('reconciler', 80, (now, periodic) => {
      if (periodic) this.tick(now);
    });
  }

  /** A (re)subscription: ask about every task we know. */
  subscribed(): void {
    this.reconcileAll(this.context.clock.now());
  }

  private tick(now: number): void {
    if (this.context.driver.state !== 'subscribed') return;
    if (now - this.lastFullAt >= this.options.reconcileIntervalSeconds * 1000) {
      this.reconcileAll(now);
      return;
    }
    if (now - this.lastUnconfirmedAt < UNCONFIRMED_RETRY_MS) return;
    const unconfirmed: ReconcileTask[] = [];
    for (const task of this.tracker.all()) if (!task.confirmed) unconfirmed.push(reconcileTask(task));
    this.lastUnconfirmedAt = now;
    if (unconfirmed.length > 0) this.send(unconfirmed);
  }

  private reconcileAll(now: number): void {
    this.lastFullAt = now;
    this.lastUnconfirmedAt = now;
    const tasks = [...this.tracker.all()].map(reconcileTask);
    if (tasks.length > 0) this.send(tasks);
  }

  private send(tasks: ReconcileTask[]): void {
    if (this.context.driver.state !== 'subscribed') return;
    for (let i = 0; i < tasks.length; i += RECONCILE_CHUNK) {
      this.requests++;
      this.context.driver.reconcile(tasks.slice(i, i + RECONCILE_CHUNK)).catch((err: unknown) => {
        this.context.log.warn({ tasks: tasks.length, err: describeError(err) }, `RECONCILE failed: ${describeError(err)}`);
      });
    }
  }
}

function reconcileTask(task: { taskId: string; agentId: string }): ReconcileTask {
  return task.agentId ? { taskId: task.taskId, agentId: task.agentId } : { taskId: task.taskId };
}
