import { Inject, Injectable } from '@nestjs/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';
import type { AppDefinition } from '../app.types';
import { shouldKillUnhealthy, unreachableAction, type AppTask } from '../app-task';
import type { Placement } from '../constraint.matcher';
import { nextScaleStep } from '../deployment.planner';
import { LaunchQueue } from '../launch-queue';
import { nextRestartStep } from '../rolling-restart.machine';
import { unhealthyTaskKillEvent } from '../marathon-events.view';
import { AppStore } from '../state/app-store.service';
import { DeploymentRegistry } from '../state/deployment-registry.service';
import { EventBus } from '../state/event-bus.service';
import { TaskJournal } from '../state/task-journal.service';
import { countsAsInstance, TaskTracker, type KillReason, type TrackedTask } from '../state/task-tracker.service';
import { ConvergenceLoop } from './convergence-loop.service';
import { KillQueue } from './kill-queue.service';
import { OfferFlow } from './offer-flow.service';

/** See killUnhealthy: how many intervals after the agent's own kill the plugin kills an unhealthy task. */
export const FALLBACK_EXTRA_FAILURES = 2;

/** What an app waits for, as of the last evaluation. */
export interface AppDemand {
  /** Instances to launch. */
  count: number;
  /** Launches are held back by the backoff until then (epoch ms). */
  delayedUntil?: number;
  /** Since when the app has been waiting. */
  since: number;
}

/**
 * Keeps every app at its instance count (Marathon's task replacement): decides, per app, how
 * many instances to launch (the launch demand that offers are matched against) and which tasks
 * to kill: unhealthy ones, expunged unreachable ones, surplus ones by killSelection, and old
 * ones during a rolling restart (following the deployment's current step). Evaluates only apps
 * that changed, at most once per loop run, so a burst of updates costs O(tasks) per app per run.
 */
@Injectable()
export class InstanceKeeper {
  readonly launchQueue = new LaunchQueue();
  private readonly demand = new Map<string, AppDemand>();
  private readonly dirty = new Set<string>();
  private allDirty = true;

  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext,
    private readonly apps: AppStore,
    private readonly tracker: TaskTracker,
    private readonly journal: TaskJournal,
    private readonly deployments: DeploymentRegistry,
    private readonly killer: KillQueue,
    private readonly offerFlow: OfferFlow,
    private readonly events: EventBus,
    private readonly loop: ConvergenceLoop,
  ) {
    loop.register('instance-keeper', 10, (now, periodic) => this.evaluate(now, periodic));
  }

  markDirty(appId: string): void {
    this.dirty.add(appId);
    this.loop.poke();
  }

  markAllDirty(): void {
    this.allDirty = true;
    this.loop.poke();
  }

  demandOf(appId: string): AppDemand | undefined {
    return this.demand.get(appId);
  }

  /** Apps waiting for instances, longest waiting first, for /v2/queue. */
  waiting(): Array<{ app: AppDefinition; demand: AppDemand }> {
    return [...this.demand]
      .flatMap(([appId, demand]) => {
        const app = this.apps.get(appId);
        return app && demand.count > 0 ? [{ app, demand }] : [];
      })
      .sort((a, b) => a.demand.since - b.demand.since || (a.app.id < b.app.id ? -1 : 1));
  }

  /** What offers should be matched against now: apps with launches allowed, longest waiting first. */
  launchRequests(): Array<{ app: AppDefinition; count: number; placements: Placement[] }> {
    const now = this.context.clock.now();
    return this.waiting()
      .filter(({ demand }) => demand.delayedUntil === undefined || demand.delayedUntil <= now)
      .map(({ app, demand }) => ({ app, count: demand.count, placements: app.constraints.length > 0 ? this.placementsOf(app.id) : [] }));
  }

  /** Instances were placed in offers (the tasks are tracked already): they no longer wait. */
  placed(appId: string, count: number): void {
    const demand = this.demand.get(appId);
    if (!demand) return;
    demand.count = Math.max(0, demand.count - count);
    this.launchQueue.recordMatch(appId, this.context.clock.now());
    this.updateOfferFlow(false);
  }

  /** A task failed: the app's next launch waits for the backoff. */
  recordFailure(app: AppDefinition, now: number, ranForMs?: number): void {
    this.launchQueue.recordFailure(app, now, ranForMs);
  }

  /** `DELETE /v2/queue/{id}/delay`. */
  resetDelay(appId: string): void {
    this.launchQueue.resetDelay(appId);
    this.markDirty(appId);
  }

  /** The app is gone: forget its queue entry. */
  forget(appId: string): void {
    this.launchQueue.remove(appId);
    this.demand.delete(appId);
  }

  private evaluate(now: number, periodic: boolean): void {
    const ids = this.allDirty || periodic ? new Set([...this.apps.all().map((a) => a.id), ...this.tracker.appIds(), ...this.demand.keys()]) : new Set(this.dirty);
    this.allDirty = false;
    this.dirty.clear();
    let grew = false;
    for (const appId of ids) grew = this.evaluateApp(appId, now) || grew;
    this.updateOfferFlow(grew);
  }

  /** One app; true when its launch demand grew. */
  private evaluateApp(appId: string, now: number): boolean {
    const app = this.apps.get(appId);
    const tasks = this.tracker.tasksOf(appId);
    if (!app) {
      // Deleted (StopApplication) or never ours: everything left goes.
      for (const task of tasks) this.killer.kill(task, 'stop');
      this.forget(appId);
      return false;
    }
    this.applyUnreachableStrategy(app, tasks, now);
    this.killUnhealthy(app, tasks, now);
    const counted = tasks.filter(countsAsInstance);
    const planned = this.deployments.plannedState(appId);
    const restarting = planned.action?.action === 'RestartApplication';
    const target = planned.holdAt ?? planned.action?.scaleTo ?? app.instances;
    const step = restarting ? nextRestartStep(app, counted) : nextScaleStep(app, target, counted);
    const grace = app.taskKillGracePeriodSeconds !== undefined ? app.taskKillGracePeriodSeconds * 1000 : undefined;
    const reason: KillReason = restarting ? 'restart' : 'scale';
    for (const task of step.kill as TrackedTask[]) this.killer.kill(task, reason, grace);
    return this.setDemand(app, step.start, now);
  }

  private setDemand(app: AppDefinition, count: number, now: number): boolean {
    const previous = this.demand.get(app.id);
    const before = previous?.count ?? 0;
    if (count <= 0) {
      if (previous) this.launchQueue.endLaunchAttempt(app.id);
      this.demand.delete(app.id);
      return false;
    }
    this.launchQueue.startLaunchAttempt(app.id, now);
    const allowedAt = this.launchQueue.launchAllowedAt(app, now);
    const since = previous?.since ?? now;
    this.demand.set(app.id, allowedAt > now ? { count, delayedUntil: allowedAt, since } : { count, since });
    if (allowedAt > now && previous?.delayedUntil !== allowedAt) this.wakeAt(allowedAt, app.id);
    return count > before && allowedAt <= now;
  }

  /** Backoff over: evaluate (and revive) right then rather than at the next periodic run. */
  private wakeAt(at: number, appId: string): void {
    const handle = this.context.clock.setTimeout(() => this.markDirty(appId), Math.max(0, at - this.context.clock.now()) + 1);
    handle.unref?.();
  }

  private updateOfferFlow(grew: boolean): void {
    const now = this.context.clock.now();
    let wanted = false;
    for (const demand of this.demand.values()) {
      if (demand.count > 0 && (demand.delayedUntil === undefined || demand.delayedUntil <= now)) {
        wanted = true;
        break;
      }
    }
    this.offerFlow.update(wanted, grew);
  }

  /** Unreachable tasks: replaced after inactiveAfterSeconds, forgotten (and killed) after expungeAfterSeconds. */
  private applyUnreachableStrategy(app: AppDefinition, tasks: readonly TrackedTask[], now: number): void {
    for (const task of tasks) {
      const action = unreachableAction(task, app, now);
      if (action === 'replace') task.replaced = true;
      else if (action === 'expunge') {
        // Killed (should its agent come back) and forgotten: no longer listed, its launch record
        // released. The kill cannot reach an agent that is away, so it is not retried.
        this.killer.kill(task, 'expunge');
        task.replaced = true;
        this.tracker.expunge(task.taskId);
        this.journal.release(task);
      }
    }
  }

  /**
   * Marathon kills a task after maxConsecutiveFailures failed checks past the grace period.
   * Pando's agent does that itself (KILLED, REASON_HEALTH_CHECK_FAILED) and reports health only
   * when it changes, so this is the fallback for an agent that did not: failures are counted
   * from the time spent unhealthy (one per interval), and the kill comes
   * FALLBACK_EXTRA_FAILURES intervals after the agent's would have.
   */
  private killUnhealthy(app: AppDefinition, tasks: readonly TrackedTask[], now: number): void {
    const check = app.healthChecks[0];
    if (!check) return;
    for (const task of tasks) {
      if (task.killRequestedAt !== undefined || !task.health || task.health.alive || task.unhealthySince === undefined) continue;
      const byTime = 1 + Math.floor((now - task.unhealthySince) / (check.intervalSeconds * 1000));
      task.health.consecutiveFailures = Math.max(task.health.consecutiveFailures, byTime);
      if (check.maxConsecutiveFailures === 0 || byTime < check.maxConsecutiveFailures + FALLBACK_EXTRA_FAILURES || !shouldKillUnhealthy(task, app, now)) continue;
      const cause = task.health.lastFailureCause ?? 'health check failed';
      this.killer.kill(task, 'unhealthy');
      this.events.publish(unhealthyTaskKillEvent(task, `${check.maxConsecutiveFailures} consecutive health check failures: ${cause}`, now));
    }
  }

  private placementsOf(appId: string): Placement[] {
    return this.tracker.tasksOf(appId).filter((t: AppTask) => countsAsInstance(t as TrackedTask)).map((t) => ({ hostname: t.host, attributes: t.attributes }));
  }
}
