import { Inject, Injectable } from '@nestjs/common';
import { isTerminalState, type TaskState, type TaskStatus } from '@pando/protocol';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';
import type { AppDefinition } from '../app.types';
import type { TaskFailure } from '../app-task';
import { failedHealthCheckEvent, healthStatusChangedEvent, statusUpdateEvent, unhealthyTaskKillEvent } from '../marathon-events.view';
import { appIdOfTask } from '../task-id';
import { AppStore } from '../state/app-store.service';
import { EventBus } from '../state/event-bus.service';
import { TaskJournal } from '../state/task-journal.service';
import { TaskTracker, type StatusOutcome, type TrackedTask } from '../state/task-tracker.service';
import { InstanceKeeper } from './instance-keeper.service';
import { KillQueue } from './kill-queue.service';
import { OfferHandler } from './offer-handler.service';

/** Terminal states Marathon records as an app's lastTaskFailure (FINISHED is not one). */
const FAILURE_STATES: ReadonlySet<TaskState> = new Set<TaskState>(['FAILED', 'ERROR', 'LOST', 'DROPPED', 'GONE', 'GONE_BY_OPERATOR', 'KILLED']);

/**
 * Applies task status updates: O(1) per update (the instance keeper does the per-app work later,
 * batched). Records failures (backoff, lastTaskFailure), releases launch records of ended
 * tasks, adopts running tasks it has no record of when their app exists, and kills them when
 * it does not. Must be idempotent: the same update can come twice, and reconciliation repeats
 * known states.
 */
@Injectable()
export class TaskStatusHandler {
  updates = 0;

  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext,
    private readonly apps: AppStore,
    private readonly tracker: TaskTracker,
    private readonly journal: TaskJournal,
    private readonly keeper: InstanceKeeper,
    private readonly killer: KillQueue,
    private readonly events: EventBus,
    private readonly offers: OfferHandler,
  ) {}

  handle(status: TaskStatus): void {
    this.updates++;
    const now = this.context.clock.now();
    // A master that does not know a task (its agent is unknown) answers UNKNOWN: it is gone for us.
    if (status.state === 'UNKNOWN' && status.source === 'SOURCE_MASTER') {
      this.expunge(status.taskId);
      return;
    }
    const outcome = this.tracker.applyStatus(status, now);
    if (!outcome) {
      this.unknownTask(status, now);
      return;
    }
    const { task } = outcome;
    if (outcome.previous !== task.state) this.events.publishLazy(() => statusUpdateEvent(task, now, status.message ?? ''));
    if (outcome.healthChanged) this.healthChanged(task, now);
    if (outcome.terminal) this.ended(outcome, status, now);
    this.keeper.markDirty(task.appId);
  }

  private healthChanged(task: TrackedTask, now: number): void {
    const alive = task.health?.alive === true;
    this.events.publish(healthStatusChangedEvent(task, alive, now));
    const check = this.apps.get(task.appId)?.healthChecks[0];
    if (!alive && check) this.events.publish(failedHealthCheckEvent(task, check, now));
  }

  private ended({ task }: StatusOutcome, status: TaskStatus, now: number): void {
    this.journal.release(task);
    this.killer.forget(task.taskId);
    const app = this.apps.get(task.appId);
    if (!app) return;
    // The agent kills a task that failed maxConsecutiveFailures checks in a row itself.
    if (status.reason === 'REASON_HEALTH_CHECK_FAILED' && task.killReason !== 'unhealthy') {
      this.events.publish(unhealthyTaskKillEvent(task, status.message ?? 'health check failed', now));
    }
    const asked = task.killRequestedAt !== undefined && task.killReason !== 'unhealthy';
    if (asked && (status.state === 'KILLED' || status.state === 'GONE' || status.state === 'LOST')) return;
    const ranForMs = task.startedAt !== undefined ? now - task.startedAt : undefined;
    this.keeper.recordFailure(app, now, ranForMs);
    if (FAILURE_STATES.has(status.state)) this.apps.recordFailure(taskFailure(task, status, app, now));
  }

  private expunge(taskId: string): void {
    const task = this.tracker.remove(taskId);
    if (!task) return;
    this.journal.release(task);
    this.killer.forget(taskId);
    this.keeper.markDirty(task.appId);
  }

  /**
   * A task we have no record of: ended ones are history; a live one is adopted when its id
   * names an existing app (its launch record was lost), and killed otherwise.
   */
  private unknownTask(status: TaskStatus, now: number): void {
    if (this.tracker.wasExpunged(status.taskId, isTerminalState(status.state))) {
      // Expunged while UNREACHABLE: one that shows up alive again goes (as in Marathon).
      if (!isTerminalState(status.state)) this.killer.killUntracked(status.taskId, status.agentId);
      return;
    }
    if (status.state !== 'STAGING' && status.state !== 'STARTING' && status.state !== 'RUNNING' && status.state !== 'KILLING' && status.state !== 'UNREACHABLE') return;
    const appId = appIdOfTask(status.taskId);
    const app = appId !== undefined ? this.apps.get(appId) : undefined;
    if (!app) {
      this.context.log.info({ taskId: status.taskId }, `killing task '${status.taskId}': it belongs to no app`);
      this.killer.killUntracked(status.taskId, status.agentId);
      return;
    }
    const agent = status.agentId !== undefined ? this.offers.agent(status.agentId) : undefined;
    const task: TrackedTask = {
      taskId: status.taskId,
      appId: app.id,
      agentId: status.agentId ?? '',
      host: agent?.hostname ?? status.agentId ?? '',
      attributes: agent?.attributes ?? {},
      hostPorts: [],
      // Unknown: the one version it can be judged against without restarting it needlessly.
      version: app.versionInfo.lastConfigChangeAt,
      state: status.state,
      stagedAt: now,
      confirmed: true,
    };
    if (status.state === 'RUNNING') task.startedAt = now;
    this.tracker.add(task);
    this.context.log.info({ taskId: task.taskId, appId: app.id }, `adopted task '${task.taskId}' of '${app.id}' that had no launch record`);
    this.keeper.markDirty(app.id);
  }
}

function taskFailure(task: TrackedTask, status: TaskStatus, app: AppDefinition, now: number): TaskFailure {
  const failure: TaskFailure = {
    appId: app.id,
    taskId: task.taskId,
    host: task.host,
    state: status.state,
    message: status.message ?? task.health?.lastFailureCause ?? '',
    timestamp: now,
    version: task.version,
  };
  if (task.agentId) failure.agentId = task.agentId;
  return failure;
}
