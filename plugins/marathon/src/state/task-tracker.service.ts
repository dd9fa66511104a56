import { Injectable } from '@nestjs/common';
import { isTerminalState, type TaskState, type TaskStatus } from '@pando/protocol';
import { isActive, type AppTask } from '../app-task';

/** Why the plugin asked for a task to be killed (a kill we asked for is not a failure). */
export type KillReason = 'scale' | 'restart' | 'unhealthy' | 'api' | 'stop' | 'expunge' | 'orphan';

/** A task as the plugin tracks it: the core's AppTask plus bookkeeping. */
export interface TrackedTask extends AppTask {
  /** The launch record (task journal) the task is in. */
  batchId?: string;
  killRequestedAt?: number;
  killReason?: KillReason;
  /** True once the master told us about the task since this process started. */
  confirmed: boolean;
  /** When the current run of failed health checks was first reported. */
  unhealthySince?: number;
  /** UNREACHABLE and replaced per the unreachableStrategy: no longer counts as an instance. */
  replaced?: boolean;
  /** The message of the last status update. */
  message?: string;
}

/** What one status update changed. */
export interface StatusOutcome {
  task: TrackedTask;
  previous: TaskState;
  terminal: boolean;
  /** The health check result flipped (or was reported for the first time). */
  healthChanged: boolean;
}

/** Expunged task ids remembered (about 40 bytes each). */
const MAX_EXPUNGED = 10_000;

/**
 * The app tasks this plugin knows, in memory only (rebuilt after a restart from the task journal
 * and reconciliation). Indexed by task id and by app so that per-app work is O(tasks of the
 * app) and a status update is O(1). Terminal tasks are dropped at once, as Marathon expunges them.
 */
@Injectable()
export class TaskTracker {
  private readonly tasks = new Map<string, TrackedTask>();
  private readonly byApp = new Map<string, Map<string, TrackedTask>>();
  private readonly byAgent = new Map<string, Set<string>>();
  /** Tasks expunged under the unreachableStrategy (oldest first, at most MAX_EXPUNGED). */
  private readonly expunged = new Set<string>();

  add(task: TrackedTask): void {
    this.tasks.set(task.taskId, task);
    this.indexAgent(task.taskId, task.agentId);
    let appTasks = this.byApp.get(task.appId);
    if (!appTasks) {
      appTasks = new Map();
      this.byApp.set(task.appId, appTasks);
    }
    appTasks.set(task.taskId, task);
  }

  get(taskId: string): TrackedTask | undefined {
    return this.tasks.get(taskId);
  }

  /** The app's tasks (a new array; the tasks are live objects). */
  tasksOf(appId: string): TrackedTask[] {
    const appTasks = this.byApp.get(appId);
    return appTasks ? [...appTasks.values()] : [];
  }

  /** Ids of the tasks on an agent. */
  taskIdsOn(agentId: string): ReadonlySet<string> {
    return this.byAgent.get(agentId) ?? new Set();
  }

  countOf(appId: string): number {
    return this.byApp.get(appId)?.size ?? 0;
  }

  appIds(): string[] {
    return [...this.byApp.keys()];
  }

  all(): IterableIterator<TrackedTask> {
    return this.tasks.values();
  }

  get size(): number {
    return this.tasks.size;
  }

  remove(taskId: string): TrackedTask | undefined {
    const task = this.tasks.get(taskId);
    if (!task) return undefined;
    this.tasks.delete(taskId);
    this.unindexAgent(taskId, task.agentId);
    const appTasks = this.byApp.get(task.appId);
    appTasks?.delete(taskId);
    if (appTasks?.size === 0) this.byApp.delete(task.appId);
    return task;
  }

  /**
   * Forgets an UNREACHABLE task past its expungeAfterSeconds (Marathon expunges the instance: no
   * longer listed, no longer reconciled), remembering its id so that it is killed rather than
   * adopted should its agent come back with it.
   */
  expunge(taskId: string): TrackedTask | undefined {
    const task = this.remove(taskId);
    if (!task) return undefined;
    this.expunged.add(taskId);
    if (this.expunged.size > MAX_EXPUNGED) this.expunged.delete(this.expunged.values().next().value!);
    return task;
  }

  /** True for a task expunged by this process; `forget` once it is known to have ended. */
  wasExpunged(taskId: string, forget = false): boolean {
    const was = this.expunged.has(taskId);
    if (forget) this.expunged.delete(taskId);
    return was;
  }

  /**
   * Applies a status update to a known task; undefined for an unknown one. A task we asked to
   * kill stays KILLING until it ends, whatever late RUNNING updates say (Marathon shows
   * TASK_KILLING from the kill request on).
   */
  applyStatus(status: TaskStatus, now: number): StatusOutcome | undefined {
    const task = this.tasks.get(status.taskId);
    if (!task) return undefined;
    const previous = task.state;
    const terminal = isTerminalState(status.state);
    task.confirmed = true;
    if (status.message !== undefined) task.message = status.message;
    if (status.agentId !== undefined && status.agentId !== task.agentId) {
      this.unindexAgent(task.taskId, task.agentId);
      task.agentId = status.agentId;
      this.indexAgent(task.taskId, task.agentId);
    }
    task.state = task.killRequestedAt !== undefined && !terminal && status.state !== 'UNREACHABLE' ? 'KILLING' : status.state;
    if (status.state === 'RUNNING' && task.startedAt === undefined) task.startedAt = now;
    if (status.state === 'UNREACHABLE') task.unreachableSince ??= now;
    else if (!terminal && task.unreachableSince !== undefined) {
      delete task.unreachableSince;
      delete task.replaced;
    }
    const healthChanged = status.healthy !== undefined && !terminal ? this.applyHealth(task, status, now) : false;
    if (terminal) this.remove(task.taskId);
    return { task, previous, terminal, healthChanged };
  }

  private indexAgent(taskId: string, agentId: string): void {
    let ids = this.byAgent.get(agentId);
    if (!ids) {
      ids = new Set();
      this.byAgent.set(agentId, ids);
    }
    ids.add(taskId);
  }

  private unindexAgent(taskId: string, agentId: string): void {
    const ids = this.byAgent.get(agentId);
    ids?.delete(taskId);
    if (ids?.size === 0) this.byAgent.delete(agentId);
  }

  /**
   * The agent reports a health check result when it changes. A failure after the grace period
   * counts once per report; InstanceKeeper also counts time spent unhealthy (see
   * consecutiveFailures there), so agents that report only changes are handled too.
   */
  private applyHealth(task: TrackedTask, status: TaskStatus, now: number): boolean {
    const health = (task.health ??= { alive: false, consecutiveFailures: 0 });
    const changed = health.alive !== status.healthy || (health.firstSuccess === undefined && health.lastFailure === undefined);
    if (status.healthy) {
      health.alive = true;
      health.consecutiveFailures = 0;
      health.firstSuccess ??= now;
      health.lastSuccess = now;
      delete task.unhealthySince;
    } else {
      health.alive = false;
      health.consecutiveFailures++;
      health.lastFailure = now;
      if (status.message !== undefined) health.lastFailureCause = status.message;
      task.unhealthySince ??= now;
    }
    return changed;
  }
}

/** Active, and not replaced under the unreachableStrategy: counts toward the instance count. */
export function countsAsInstance(task: TrackedTask): boolean {
  return isActive(task) && task.replaced !== true;
}
