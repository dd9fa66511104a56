import { isTerminalState, type TaskState } from '@pando/protocol';
import type { AppSpec } from './app.types';
import { runsCurrentConfig } from './app-update.merge';
import type { AppDefinition } from './app.types';

/**
 * A task of an app as the plugin tracks it: where it runs, with which app version, and what
 * its status updates and health checks said. Times are epoch milliseconds.
 */
export interface TaskHealth {
  alive: boolean;
  consecutiveFailures: number;
  firstSuccess?: number;
  lastSuccess?: number;
  lastFailure?: number;
  lastFailureCause?: string;
}

export interface AppTask {
  /** Pando's (subject-safe) task id; see task-id.ts for Marathon's form. */
  taskId: string;
  appId: string;
  agentId: string;
  host: string;
  attributes: Readonly<Record<string, string | number>>;
  /** Host ports in the app's port order. */
  hostPorts: number[];
  /** The app version the task was launched from. */
  version: string;
  state: TaskState;
  stagedAt: number;
  startedAt?: number;
  /** Result of the task's health check; absent until one ran (or when the app has none). */
  health?: TaskHealth;
  /** Readiness check passed; only meaningful when the app has a readiness check. */
  ready?: boolean;
  ipAddresses?: string[];
  /** When the task became UNREACHABLE (its agent went away), for the unreachableStrategy. */
  unreachableSince?: number;
}

/** The last failed task of an app, for `lastTaskFailure`. */
export interface TaskFailure {
  appId: string;
  taskId: string;
  host: string;
  agentId?: string;
  state: TaskState;
  message: string;
  timestamp: number;
  version: string;
}

/** Not finished yet: counts against the instance count and holds resources. */
export function isActive(task: Pick<AppTask, 'state'>): boolean {
  return !isTerminalState(task.state);
}

export function isStaged(task: Pick<AppTask, 'state'>): boolean {
  return task.state === 'STAGING' || task.state === 'STARTING';
}

/** Healthy in Marathon's sense: RUNNING, and its health check (if any) passes. */
export function isHealthy(task: AppTask, app: Pick<AppSpec, 'healthChecks'>): boolean {
  if (task.state !== 'RUNNING') return false;
  return app.healthChecks.length === 0 || task.health?.alive === true;
}

/** Unhealthy: RUNNING with a health check that fails (grace period over or not, as reported). */
export function isUnhealthy(task: AppTask, app: Pick<AppSpec, 'healthChecks'>): boolean {
  return task.state === 'RUNNING' && app.healthChecks.length > 0 && task.health?.alive === false;
}

/** Healthy and, when the app has a readiness check, ready: counts as replaced in a deployment. */
export function isHealthyAndReady(task: AppTask, app: Pick<AppSpec, 'healthChecks' | 'readinessChecks'>): boolean {
  return isHealthy(task, app) && (app.readinessChecks.length === 0 || task.ready === true);
}

export function isCurrentConfig(task: Pick<AppTask, 'version'>, app: AppDefinition): boolean {
  return runsCurrentConfig(task.version, app);
}

/** Marathon's `tasksStaged`, `tasksRunning`, `tasksHealthy`, `tasksUnhealthy`. */
export interface TaskCounts {
  tasksStaged: number;
  tasksRunning: number;
  tasksHealthy: number;
  tasksUnhealthy: number;
}

export function countTasks(tasks: readonly AppTask[], app: Pick<AppSpec, 'healthChecks'>): TaskCounts {
  const counts: TaskCounts = { tasksStaged: 0, tasksRunning: 0, tasksHealthy: 0, tasksUnhealthy: 0 };
  for (const task of tasks) {
    if (isStaged(task)) counts.tasksStaged++;
    if (task.state === 'RUNNING') counts.tasksRunning++;
    // Marathon counts health only for apps with health checks.
    if (app.healthChecks.length > 0 && task.state === 'RUNNING' && task.health) {
      if (task.health.alive) counts.tasksHealthy++;
      else counts.tasksUnhealthy++;
    }
  }
  return counts;
}

/**
 * Marathon kills a task whose health check failed maxConsecutiveFailures times in a row (0
 * means never), but not during the grace period after it started, unless it was healthy once.
 */
export function shouldKillUnhealthy(task: AppTask, app: Pick<AppSpec, 'healthChecks'>, now: number): boolean {
  const check = app.healthChecks[0];
  const health = task.health;
  if (!check || !health || health.alive || check.maxConsecutiveFailures === 0 || task.state !== 'RUNNING') return false;
  const inGrace = health.firstSuccess === undefined && now < (task.startedAt ?? task.stagedAt) + check.gracePeriodSeconds * 1000;
  return !inGrace && health.consecutiveFailures >= check.maxConsecutiveFailures;
}

/**
 * What the unreachableStrategy says about an UNREACHABLE task: keep waiting, launch a
 * replacement (after inactiveAfterSeconds; the task still counts until then), or expunge it
 * (after expungeAfterSeconds: forget it and kill it should it come back). `disabled` waits forever.
 */
export function unreachableAction(task: AppTask, app: Pick<AppSpec, 'unreachableStrategy'>, now: number): 'none' | 'wait' | 'replace' | 'expunge' {
  if (task.state !== 'UNREACHABLE') return 'none';
  const strategy = app.unreachableStrategy;
  if (strategy === 'disabled') return 'wait';
  const since = task.unreachableSince ?? now;
  if (now - since >= strategy.expungeAfterSeconds * 1000) return 'expunge';
  if (now - since >= strategy.inactiveAfterSeconds * 1000) return 'replace';
  return 'wait';
}
