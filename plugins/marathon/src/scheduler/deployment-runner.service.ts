import { Inject, Injectable } from '@nestjs/common';
import { describeError } from '@pando/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';
import type { AppDefinition } from '../app.types';
import { isCurrentConfig, type TaskFailure } from '../app-task';
import { isScaleComplete, planRollback, type DeploymentAction, type DeploymentPlan } from '../deployment.planner';
import { deploymentFinishedEvent, deploymentStepEvent } from '../marathon-events.view';
import { MARATHON_OPTIONS } from '../marathon.tokens';
import type { MarathonOptions } from '../marathon.options';
import { hasStalled, nextRestartStep, restartCounts, trackProgress, type RestartCounts } from '../rolling-restart.machine';
import { AppStore, type StoredDeployment } from '../state/app-store.service';
import { DeploymentRegistry, type RunningDeployment } from '../state/deployment-registry.service';
import { EventBus } from '../state/event-bus.service';
import { countsAsInstance, TaskTracker, type TrackedTask } from '../state/task-tracker.service';
import { ConvergenceLoop } from './convergence-loop.service';
import { InstanceKeeper } from './instance-keeper.service';

/**
 * Runs deployments step by step: the instance keeper does the launching and killing (it follows
 * each app's action in the current step); this runner watches for each step to complete, moves
 * to the next, persists where it got to, and emits Marathon's deployment events. A step that
 * launched tasks and then made no progress for `deployment-deadline-seconds` fails the
 * deployment, which is rolled back (apps it created stay, waiting: see README).
 */
@Injectable()
export class DeploymentRunner {
  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext,
    @Inject(MARATHON_OPTIONS) private readonly options: MarathonOptions,
    private readonly apps: AppStore,
    private readonly tracker: TaskTracker,
    private readonly registry: DeploymentRegistry,
    private readonly keeper: InstanceKeeper,
    private readonly events: EventBus,
    private readonly loop: ConvergenceLoop,
  ) {
    // Before the instance keeper: a step that completed hands its apps to the next one at once.
    loop.register('deployment-runner', 5, (now) => this.check(now));
  }

  /** Deployments found in the store at start: finish the changes they stand for, then go on. */
  async resume(records: readonly StoredDeployment[]): Promise<void> {
    for (const record of records) {
      await this.apps.repairFrom(record);
      this.registry.add(record, this.context.clock.now());
      this.context.log.info({ deploymentId: record.id, step: record.currentStep }, `resuming deployment ${record.id} at step ${record.currentStep}/${record.steps.length}`);
    }
    this.keeper.markAllDirty();
  }

  /** A deployment was committed (record and apps stored): run it. */
  start(record: StoredDeployment): void {
    const now = this.context.clock.now();
    if (record.steps.length === 0) {
      this.events.publish(deploymentFinishedEvent(record, true, now));
      void this.forgetRecord(record.id);
      return;
    }
    const running = this.registry.add(record, now);
    this.events.publish(deploymentStepEvent('deployment_info', record, now));
    for (const appId of Object.keys({ ...record.original, ...record.target })) this.keeper.markDirty(appId);
    this.checkOne(running, now);
  }

  /**
   * Cancels a deployment. With `rollback`, a new deployment undoes it (Marathon's DELETE
   * /v2/deployments/{id}) and is returned; without, it just stops where it is (`force=true`).
   */
  async cancel(id: string, rollback: boolean): Promise<StoredDeployment | undefined> {
    const running = this.registry.remove(id);
    if (!running) return undefined;
    const now = this.context.clock.now();
    this.events.publish(deploymentFinishedEvent(running.record, false, now, 'canceled'));
    await this.forgetRecord(id);
    this.keeper.markAllDirty();
    return rollback ? this.rollback(running.record, now, true) : undefined;
  }

  private check(now: number): void {
    for (const running of this.registry.all()) {
      try {
        this.checkOne(running, now);
      } catch (err) {
        this.context.log.error({ deploymentId: running.record.id, err: describeError(err) }, `deployment ${running.record.id}: ${describeError(err)}`);
      }
    }
  }

  private checkOne(running: RunningDeployment, now: number): void {
    const { record } = running;
    let actions = record.steps[record.currentStep - 1]?.actions ?? [];
    // Steps that are done already (starting apps at 0, scaling to what runs) pass at once.
    while (actions.every((a) => this.actionDone(a))) {
      if (!this.nextStep(running, now)) return;
      actions = record.steps[record.currentStep - 1]?.actions ?? [];
    }
    const counts = this.stepCounts(actions, running);
    running.progress = trackProgress(running.progress, counts, now);
    if (running.armedAt === undefined && this.launchedSinceStepStart(actions, running)) running.armedAt = now;
    if (running.armedAt === undefined) return;
    const since = { ...running.progress, lastProgressAt: Math.max(running.progress.lastProgressAt, running.armedAt) };
    if (hasStalled(since, now, this.options.deploymentDeadlineSeconds * 1000)) {
      void this.fail(running, `no progress for ${this.options.deploymentDeadlineSeconds} s: the new version did not become healthy`, now);
    }
  }

  private actionDone(action: DeploymentAction): boolean {
    const app = this.apps.get(action.app);
    const tasks = this.tracker.tasksOf(action.app).filter(countsAsInstance);
    switch (action.action) {
      case 'StartApplication':
        return true;
      case 'StopApplication':
        return tasks.length === 0;
      case 'ScaleApplication':
        return !app || isScaleComplete(app, action.scaleTo ?? app.instances, tasks);
      case 'RestartApplication':
        return !app || nextRestartStep(app, tasks).decision.done;
    }
  }

  /** Moves to the next step; false when the deployment is over. */
  private nextStep(running: RunningDeployment, now: number): boolean {
    const { record } = running;
    this.events.publish(deploymentStepEvent('deployment_step_success', record, now));
    if (record.currentStep >= record.steps.length) {
      this.registry.remove(record.id);
      this.events.publish(deploymentFinishedEvent(record, true, now));
      this.context.log.info({ deploymentId: record.id }, `deployment ${record.id} succeeded`);
      void this.forgetRecord(record.id);
      this.keeper.markAllDirty();
      return false;
    }
    record.currentStep++;
    running.stepStartedAt = now;
    delete running.progress;
    delete running.armedAt;
    this.events.publish(deploymentStepEvent('deployment_info', record, now));
    this.apps.putDeployment(record).catch((err: unknown) => this.context.log.warn({ err: describeError(err) }, `failed to store step ${record.currentStep} of deployment ${record.id}`));
    for (const action of record.steps[record.currentStep - 1]!.actions) this.keeper.markDirty(action.app);
    return true;
  }

  /** Old-version tasks gone and new ones ready, over the step's apps (for the deadline). */
  private stepCounts(actions: readonly DeploymentAction[], running: RunningDeployment): RestartCounts {
    const total: RestartCounts = { oldHealthy: 0, oldOther: 0, oldKilling: 0, newReady: 0, newOther: 0 };
    for (const action of actions) {
      const app = this.apps.get(action.app) ?? running.record.original[action.app];
      if (!app) continue;
      const counts = restartCounts(app, this.tracker.tasksOf(action.app).filter(countsAsInstance));
      if (action.action === 'StopApplication') counts.newReady = 0;
      for (const key of Object.keys(total) as Array<keyof RestartCounts>) total[key] += counts[key];
    }
    return total;
  }

  private launchedSinceStepStart(actions: readonly DeploymentAction[], running: RunningDeployment): boolean {
    return actions.some((action) => {
      const failure = this.apps.lastFailure(action.app);
      if (failure && failure.timestamp >= running.stepStartedAt) return true;
      return this.tracker.tasksOf(action.app).some((t) => t.stagedAt >= running.stepStartedAt);
    });
  }

  private async fail(running: RunningDeployment, reason: string, now: number): Promise<void> {
    const { record } = running;
    if (!this.registry.remove(record.id)) return;
    this.context.log.warn({ deploymentId: record.id, reason }, `deployment ${record.id} failed: ${reason}`);
    this.recordDeploymentFailure(running, reason, now);
    this.events.publish(deploymentStepEvent('deployment_step_failure', record, now));
    this.events.publish(deploymentFinishedEvent(record, false, now, reason));
    await this.forgetRecord(record.id);
    if (!record.rollbackOf) await this.rollback(record, now, false);
    this.keeper.markAllDirty();
  }

  /** The failure shows in lastTaskFailure: the app's own last failure of the new version, or the deployment's. */
  private recordDeploymentFailure(running: RunningDeployment, reason: string, now: number): void {
    const actions = running.record.steps[running.record.currentStep - 1]?.actions ?? [];
    for (const action of actions) {
      const app = this.apps.get(action.app);
      if (!app) continue;
      const known = this.apps.lastFailure(app.id);
      if (known && known.timestamp >= running.stepStartedAt) continue;
      const task = newestNewTask(app, this.tracker.tasksOf(app.id));
      if (!task) continue;
      const failure: TaskFailure = { appId: app.id, taskId: task.taskId, host: task.host, agentId: task.agentId, state: task.state, message: `deployment ${running.record.id} failed: ${reason}`, timestamp: now, version: task.version };
      this.apps.recordFailure(failure);
    }
  }

  /**
   * Undoes a deployment with a new one. An automatic rollback leaves apps the deployment
   * created (they keep waiting, with their backoff); a requested one stops them too.
   */
  private async rollback(record: StoredDeployment, now: number, includeCreated: boolean): Promise<StoredDeployment | undefined> {
    const scope: DeploymentPlan = includeCreated ? record : { ...record, target: pick(record.target, Object.keys(record.original)) };
    const affected = new Set([...Object.keys(scope.original), ...Object.keys(scope.target)]);
    const live = [...affected].flatMap((id) => this.apps.get(id) ?? []);
    const plan = planRollback(scope, live, new Map(), now);
    if (plan.steps.length === 0) return undefined;
    const rollback: StoredDeployment = { ...plan, currentStep: 1, startedAt: now, rollbackOf: record.id };
    const put = Object.values(plan.target);
    const remove = Object.keys(plan.original).filter((id) => !plan.target[id]);
    try {
      await this.apps.commit({ deployment: rollback, put, remove });
    } catch (err) {
      this.context.log.error({ deploymentId: record.id, err: describeError(err) }, `rollback of deployment ${record.id} could not be stored: ${describeError(err)}`);
      return undefined;
    }
    for (const id of remove) this.keeper.forget(id);
    this.context.log.info({ deploymentId: rollback.id, of: record.id }, `rolling back deployment ${record.id} with ${rollback.id}`);
    this.start(rollback);
    return rollback;
  }

  private async forgetRecord(id: string): Promise<void> {
    try {
      await this.apps.deleteDeployment(id);
    } catch (err) {
      this.context.log.warn({ deploymentId: id, err: describeError(err) }, `failed to delete deployment ${id} from the store`);
    }
  }
}

function pick(apps: Record<string, AppDefinition>, ids: readonly string[]): Record<string, AppDefinition> {
  return Object.fromEntries(ids.filter((id) => apps[id]).map((id) => [id, apps[id]!]));
}

function newestNewTask(app: AppDefinition, tasks: readonly TrackedTask[]): TrackedTask | undefined {
  let newest: TrackedTask | undefined;
  for (const task of tasks) if (isCurrentConfig(task, app) && (!newest || task.stagedAt > newest.stagedAt)) newest = task;
  return newest;
}
