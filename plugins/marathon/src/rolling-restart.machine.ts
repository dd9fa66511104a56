import type { AppDefinition, UpgradeStrategy } from './app.types';
import { isActive, isCurrentConfig, isHealthy, isHealthyAndReady, type AppTask } from './app-task';
import { selectTasksToKill } from './kill-selection';

/**
 * The rolling restart of one app (Marathon's RestartApplication), as a pure function of task
 * counts, re-evaluated on every status update or health change. It never lets more than
 * floor(instances × (1 + maximumOverCapacity)) tasks exist (tasks being killed included: they
 * still hold their resources), and never kills a healthy old task if that would leave fewer
 * than ceil(instances × minimumHealthCapacity) healthy ones — except when the two limits are
 * equal: then no step is possible without breaking one, and Pando (unlike Marathon, which goes
 * one task over capacity) goes one task below the minimum, keeping the capacity limit hard.
 */

export interface RestartCounts {
  /** Old-config tasks, running and healthy. */
  oldHealthy: number;
  /** Old-config tasks still alive but not healthy (staging, unhealthy, unreachable). */
  oldOther: number;
  /** Old-config tasks asked to die, not gone yet. */
  oldKilling: number;
  /** New-config tasks, healthy and ready. */
  newReady: number;
  /** New-config tasks alive but not (yet) healthy and ready, or being killed. */
  newOther: number;
}

export interface RestartLimits {
  minHealthy: number;
  maxCapacity: number;
}

export interface RestartDecision extends RestartLimits {
  startNew: number;
  /** Old tasks that serve nothing: always killed first. */
  killOldUnhealthy: number;
  killOldHealthy: number;
  /** True when this step takes healthy tasks below minHealthy (only when minHealthy == maxCapacity). */
  belowMinimum: boolean;
  done: boolean;
}

// Fractions such as 0.7 × 10 = 7.000000000000001 must not round up to 8.
const EPSILON = 1e-9;

export function restartLimits(instances: number, strategy: UpgradeStrategy): RestartLimits {
  return {
    minHealthy: Math.ceil(instances * strategy.minimumHealthCapacity - EPSILON),
    maxCapacity: Math.floor(instances * (1 + strategy.maximumOverCapacity) + EPSILON),
  };
}

export function decideRestart(instances: number, strategy: UpgradeStrategy, counts: RestartCounts): RestartDecision {
  const limits = restartLimits(instances, strategy);
  const { oldHealthy, oldOther, oldKilling, newReady, newOther } = counts;
  const total = oldHealthy + oldOther + oldKilling + newReady + newOther;
  const done = newReady >= instances && oldHealthy + oldOther + oldKilling === 0;
  const healthy = oldHealthy + newReady;
  let killOldHealthy = Math.min(oldHealthy, Math.max(0, healthy - limits.minHealthy));
  const wanted = Math.max(0, instances - newReady - newOther);
  const startNew = Math.min(wanted, Math.max(0, limits.maxCapacity - total));
  const idle = oldOther === 0 && killOldHealthy === 0 && startNew === 0 && oldKilling === 0 && newOther === 0;
  const belowMinimum = idle && wanted > 0 && oldHealthy > 0;
  if (belowMinimum) killOldHealthy = 1;
  return { ...limits, startNew, killOldUnhealthy: oldOther, killOldHealthy, belowMinimum, done };
}

/** Counts the app's active tasks against its target version. */
export function restartCounts(target: AppDefinition, tasks: readonly AppTask[]): RestartCounts {
  const counts: RestartCounts = { oldHealthy: 0, oldOther: 0, oldKilling: 0, newReady: 0, newOther: 0 };
  for (const task of tasks) {
    if (!isActive(task)) continue;
    if (isCurrentConfig(task, target)) {
      if (task.state !== 'KILLING' && isHealthyAndReady(task, target)) counts.newReady++;
      else counts.newOther++;
    } else if (task.state === 'KILLING') counts.oldKilling++;
    else if (isHealthy(task, target)) counts.oldHealthy++;
    else counts.oldOther++;
  }
  return counts;
}

export interface RestartStep {
  decision: RestartDecision;
  /** Old tasks to kill now: the unhealthy ones, then healthy ones by the app's killSelection. */
  kill: AppTask[];
  /** New tasks to launch now (subject to the launch queue's backoff). */
  start: number;
}

/** One evaluation of the restart: what to kill and how many to start, given the tasks now. */
export function nextRestartStep(target: AppDefinition, tasks: readonly AppTask[]): RestartStep {
  const decision = decideRestart(target.instances, target.upgradeStrategy, restartCounts(target, tasks));
  const old = tasks.filter((t) => isActive(t) && t.state !== 'KILLING' && !isCurrentConfig(t, target));
  const unhealthy = old.filter((t) => !isHealthy(t, target));
  const healthy = selectTasksToKill(old.filter((t) => isHealthy(t, target)), decision.killOldHealthy, target);
  return { decision, kill: [...unhealthy, ...healthy], start: decision.startNew };
}

/**
 * Progress of a deployment, to fail it when the new version never gets healthy: progress is a
 * new best count of ready new tasks or of old tasks gone.
 */
export interface RestartProgress {
  lastProgressAt: number;
  bestNewReady: number;
  fewestOld: number;
}

export function trackProgress(previous: RestartProgress | undefined, counts: RestartCounts, now: number): RestartProgress {
  const old = counts.oldHealthy + counts.oldOther + counts.oldKilling;
  if (!previous) return { lastProgressAt: now, bestNewReady: counts.newReady, fewestOld: old };
  if (counts.newReady > previous.bestNewReady || old < previous.fewestOld) {
    return { lastProgressAt: now, bestNewReady: Math.max(counts.newReady, previous.bestNewReady), fewestOld: Math.min(old, previous.fewestOld) };
  }
  return previous;
}

/** True when nothing moved for `deadlineMs`: the deployment fails and is rolled back. */
export function hasStalled(progress: RestartProgress, now: number, deadlineMs: number): boolean {
  return now - progress.lastProgressAt >= deadlineMs;
}
