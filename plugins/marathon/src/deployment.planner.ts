import { randomUUID } from 'node:crypto';
import type { AppDefinition } from './app.types';
import { isActive, isHealthyAndReady, type AppTask } from './app-task';
import { isConfigChange, nextVersion, needsRestart } from './app-update.merge';
import { selectTasksToKill } from './kill-selection';

/**
 * Deployments as Marathon plans them: steps run one after the other, the actions of a step in
 * parallel. Apps that disappear are stopped first, new apps are started (at 0 instances), then
 * apps are scaled or restarted in dependency order (an app after everything it depends on).
 */

export type DeploymentActionName = 'StartApplication' | 'ScaleApplication' | 'RestartApplication' | 'StopApplication';

export interface DeploymentAction {
  action: DeploymentActionName;
  app: string;
  /** Instances to reach (Start: 0, Scale: the target count); not part of Marathon's JSON. */
  scaleTo?: number;
  /** Tasks chosen to go when scaling down (Marathon's sentencedToDeath). */
  killTaskIds?: string[];
}

export interface DeploymentStep {
  actions: DeploymentAction[];
}

export interface DeploymentPlan {
  id: string;
  version: string;
  /** Apps before the deployment (affected ones), by id. */
  original: Record<string, AppDefinition>;
  /** Apps after the deployment (affected ones), by id. */
  target: Record<string, AppDefinition>;
  steps: DeploymentStep[];
}

/** A plan being executed; `currentStep` is 1-based, as in `/v2/deployments`. */
export interface Deployment extends DeploymentPlan {
  currentStep: number;
}

export interface PlanInput {
  /** Apps before the change (all of them, or at least the changed ones and their dependencies). */
  original: readonly AppDefinition[];
  /** Apps after the change. */
  target: readonly AppDefinition[];
  /** Active tasks by app id, to choose which ones go when scaling down. */
  tasks?: ReadonlyMap<string, readonly AppTask[]>;
  version: string;
  id?: string;
}

export function planDeployment(input: PlanInput): DeploymentPlan {
  const before = new Map(input.original.map((a) => [a.id, a]));
  const after = new Map(input.target.map((a) => [a.id, a]));
  const steps: DeploymentStep[] = [
    { actions: [...before.values()].filter((a) => !after.has(a.id)).map((a) => ({ action: 'StopApplication', app: a.id })) },
    { actions: [...after.values()].filter((a) => !before.has(a.id)).map((a) => ({ action: 'StartApplication', app: a.id, scaleTo: 0 })) },
  ];
  for (const layer of dependencyLayers([...after.values()])) {
    steps.push({ actions: layer.flatMap((app) => actionFor(before.get(app.id), app, input.tasks?.get(app.id) ?? [])) });
  }
  const nonEmpty = steps.filter((s) => s.actions.length > 0).map((s) => ({ actions: sortActions(s.actions) }));
  const affected = new Set(nonEmpty.flatMap((s) => s.actions.map((a) => a.app)));
  const pick = (apps: Map<string, AppDefinition>) => Object.fromEntries([...apps].filter(([id]) => affected.has(id)));
  return { id: input.id ?? randomUUID(), version: input.version, original: pick(before), target: pick(after), steps: nonEmpty };
}

/** The plan for one app: created (current undefined), changed, or deleted (target undefined). */
export function planAppDeployment(
  current: AppDefinition | undefined,
  target: AppDefinition | undefined,
  tasks: readonly AppTask[],
  options: { version: string; id?: string },
): DeploymentPlan {
  const id = current?.id ?? target?.id;
  return planDeployment({
    original: current ? [current] : [],
    target: target ? [target] : [],
    tasks: id ? new Map([[id, tasks]]) : undefined,
    ...options,
  });
}

function actionFor(before: AppDefinition | undefined, after: AppDefinition, tasks: readonly AppTask[]): DeploymentAction[] {
  if (!before) return [{ action: 'ScaleApplication', app: after.id, scaleTo: after.instances }];
  if (needsRestart(before, after)) return [{ action: 'RestartApplication', app: after.id, scaleTo: after.instances }];
  if (before.instances === after.instances) return [];
  const active = tasks.filter(isActive);
  const kill = selectTasksToKill(active, active.length - after.instances, after).map((t) => t.taskId);
  return [{ action: 'ScaleApplication', app: after.id, scaleTo: after.instances, ...(kill.length > 0 ? { killTaskIds: kill } : {}) }];
}

function sortActions(actions: DeploymentAction[]): DeploymentAction[] {
  return [...actions].sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : 0));
}

/**
 * Marathon's ordering: apps grouped by the length of their longest dependency chain, shortest
 * first, so that every app comes after all it depends on. Dependencies on unknown apps (or on
 * groups) are ignored; a cycle is cut where it is found (validation should refuse cycles).
 */
export function dependencyLayers(apps: readonly AppDefinition[]): AppDefinition[][] {
  const byId = new Map(apps.map((a) => [a.id, a]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (app: AppDefinition): number => {
    const known = depth.get(app.id);
    if (known !== undefined) return known;
    if (visiting.has(app.id)) return 0;
    visiting.add(app.id);
    const deps = app.dependencies.flatMap((d) => dependencyTargets(d, byId));
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(depthOf));
    visiting.delete(app.id);
    depth.set(app.id, d);
    return d;
  };
  const layers: AppDefinition[][] = [];
  for (const app of apps) (layers[depthOf(app)] ??= []).push(app);
  return layers.filter((l) => l !== undefined);
}

/** A dependency names an app or a group (then every app under it). */
function dependencyTargets(dependency: string, byId: ReadonlyMap<string, AppDefinition>): AppDefinition[] {
  const exact = byId.get(dependency);
  if (exact) return [exact];
  return [...byId.values()].filter((a) => a.id.startsWith(`${dependency === '/' ? '' : dependency}/`));
}

/** The first dependency cycle among the apps, as a list of ids, or undefined. */
export function findDependencyCycle(apps: readonly AppDefinition[]): string[] | undefined {
  const byId = new Map(apps.map((a) => [a.id, a]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (app: AppDefinition): string[] | undefined => {
    if (state.get(app.id) === 'done') return undefined;
    if (state.get(app.id) === 'visiting') return [...path.slice(path.indexOf(app.id)), app.id];
    state.set(app.id, 'visiting');
    path.push(app.id);
    for (const dep of app.dependencies.flatMap((d) => dependencyTargets(d, byId))) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(app.id, 'done');
    return undefined;
  };
  for (const app of apps) {
    const cycle = visit(app);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * A plan that undoes `deployment` from wherever it got to (`current`: the apps as they are
 * now): apps it created are stopped, apps it deleted come back, changed apps return to their
 * original definition under a new version (a restart when the config differs).
 */
export function planRollback(
  deployment: DeploymentPlan,
  current: readonly AppDefinition[],
  tasks: ReadonlyMap<string, readonly AppTask[]>,
  now: number,
  id?: string,
): DeploymentPlan {
  const affected = new Set([...Object.keys(deployment.original), ...Object.keys(deployment.target)]);
  const live = current.filter((a) => affected.has(a.id));
  const liveById = new Map(live.map((a) => [a.id, a]));
  const version = nextVersion(now, deployment.version);
  const reverted = Object.values(deployment.original).map((orig): AppDefinition => {
    const app = liveById.get(orig.id);
    // Only the instance count moved: scaling back is enough, tasks keep running.
    if (app && !isConfigChange(app, orig)) return { ...orig, version, versionInfo: { ...app.versionInfo, lastScalingAt: version } };
    return { ...orig, version, versionInfo: { lastScalingAt: version, lastConfigChangeAt: version } };
  });
  return planDeployment({ original: live, target: reverted, tasks, version, ...(id !== undefined ? { id } : {}) });
}

/** True when a Start/Scale step of `app` has reached its count with healthy, ready tasks. */
export function isScaleComplete(app: AppDefinition, scaleTo: number, tasks: readonly AppTask[]): boolean {
  const active = tasks.filter(isActive);
  return active.length === scaleTo && active.every((t) => isHealthyAndReady(t, app));
}

/** True when a Stop step is done: nothing of the app is left running. */
export function isStopComplete(tasks: readonly AppTask[]): boolean {
  return !tasks.some(isActive);
}

/** What a Scale step (or keeping an app at its count) asks for: how many to start, which to kill. */
export function nextScaleStep(app: AppDefinition, scaleTo: number, tasks: readonly AppTask[]): { start: number; kill: AppTask[] } {
  const active = tasks.filter((t) => isActive(t) && t.state !== 'KILLING');
  return { start: Math.max(0, scaleTo - active.length), kill: selectTasksToKill(active, active.length - scaleTo, app) };
}
