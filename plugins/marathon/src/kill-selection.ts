import type { KillSelection } from './app.types';
import { isActive, isStaged, isUnhealthy, type AppTask } from './app-task';
import type { AppSpec } from './app.types';

/**
 * Which tasks go when an app scales down (or old tasks are replaced): first those that do not
 * serve anyway (unreachable, still staging, unhealthy), then by the app's killSelection:
 * YOUNGEST_FIRST (Marathon's default) kills the most recently started, OLDEST_FIRST the
 * longest running. Tasks already being killed are never picked again.
 */
export function selectTasksToKill(
  tasks: readonly AppTask[],
  count: number,
  app: Pick<AppSpec, 'killSelection' | 'healthChecks'>,
): AppTask[] {
  if (count <= 0) return [];
  const candidates = tasks.filter((t) => isActive(t) && t.state !== 'KILLING');
  return [...candidates].sort((a, b) => compareForKill(a, b, app)).slice(0, count);
}

function compareForKill(a: AppTask, b: AppTask, app: Pick<AppSpec, 'killSelection' | 'healthChecks'>): number {
  const byTier = killTier(a, app) - killTier(b, app);
  if (byTier !== 0) return byTier;
  return compareByAge(a, b, app.killSelection);
}

/** Lower tiers are killed first. */
function killTier(task: AppTask, app: Pick<AppSpec, 'healthChecks'>): number {
  if (task.state === 'UNREACHABLE' || task.state === 'UNKNOWN') return 0;
  if (isStaged(task)) return 1;
  if (isUnhealthy(task, app)) return 2;
  return 3;
}

function compareByAge(a: AppTask, b: AppTask, selection: KillSelection): number {
  const startedA = a.startedAt ?? a.stagedAt;
  const startedB = b.startedAt ?? b.stagedAt;
  const youngestFirst = startedB - startedA;
  const order = selection === 'YOUNGEST_FIRST' ? youngestFirst : -youngestFirst;
  return order !== 0 ? order : a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0;
}
