import type { AppDefinition, AppSpec } from './app.types';
import { appSpecJson } from './app-json.view';
import { countTasks, isActive, type AppTask, type TaskFailure, type TaskHealth } from './app-task';
import type { Deployment, DeploymentPlan } from './deployment.planner';
import { servicePortsOf } from './service-ports';
import { instanceIdOfTask, toMarathonTaskId } from './task-id';

/**
 * Marathon's `/v2` JSON for apps, tasks and deployments: only Marathon's documented field
 * names (client libraries such as marathon-python refuse unknown ones), times as ISO strings,
 * task ids and states in Marathon's spelling (`team_web.<uuid>`, `TASK_RUNNING`).
 */

type Json = Record<string, unknown>;

/** What `embed` adds to an app object. */
export type AppEmbed = 'tasks' | 'counts' | 'deployments' | 'lastTaskFailure' | 'readiness';

/** Everything about an app that is not its definition, for the embeds. */
export interface AppStatus {
  tasks: readonly AppTask[];
  /** Ids of deployments touching the app. */
  deploymentIds: readonly string[];
  lastTaskFailure?: TaskFailure;
  /** Readiness results of running deployments, already in Marathon's shape. */
  readinessCheckResults?: readonly Json[];
}

const EMBEDS: Record<string, AppEmbed[]> = {
  tasks: ['tasks'],
  counts: ['counts'],
  deployments: ['deployments'],
  lastTaskFailure: ['lastTaskFailure'],
  failures: ['lastTaskFailure', 'tasks'],
  readiness: ['readiness'],
};

/**
 * The embeds of a request: `embed=apps.tasks` (list) or `embed=app.tasks` (one app), either
 * prefix accepted. As in Marathon, a list always carries counts and deployments, and a single
 * app also its tasks and last failure. Unknown values (`apps.taskStats`) are ignored.
 */
export function resolveAppEmbed(embed: string | readonly string[] | undefined, mode: 'list' | 'single'): Set<AppEmbed> {
  const values = embed === undefined ? [] : typeof embed === 'string' ? [embed] : embed;
  const resolved = new Set<AppEmbed>(mode === 'list' ? ['counts', 'deployments'] : ['counts', 'deployments', 'tasks', 'lastTaskFailure']);
  for (const value of values) {
    const key = value.replace(/^apps?\./, '');
    for (const e of EMBEDS[key] ?? []) resolved.add(e);
  }
  return resolved;
}

export function renderApp(app: AppDefinition, status: AppStatus, embed: ReadonlySet<AppEmbed>): Json {
  const json = appSpecJson(app);
  if (embed.has('counts')) Object.assign(json, countTasks(status.tasks.filter(isActive), app));
  if (embed.has('deployments')) json.deployments = status.deploymentIds.map((id) => ({ id }));
  if (embed.has('readiness')) json.readinessCheckResults = [...(status.readinessCheckResults ?? [])];
  if (embed.has('tasks')) json.tasks = status.tasks.filter(isActive).map((t) => renderTask(t, app));
  if (embed.has('lastTaskFailure') && status.lastTaskFailure) json.lastTaskFailure = renderTaskFailure(status.lastTaskFailure);
  return json;
}

/** A task as `/v2/tasks` and `/v2/apps/{id}/tasks` show it. */
export function renderTask(task: AppTask, app?: AppSpec): Json {
  const json: Json = {
    appId: task.appId,
    healthCheckResults: task.health ? [renderHealth(task.taskId, task.health)] : [],
    host: task.host,
    id: toMarathonTaskId(task.taskId),
    ipAddresses: (task.ipAddresses ?? []).map((ip) => ({ ipAddress: ip, protocol: ip.includes(':') ? 'IPv6' : 'IPv4' })),
    ports: [...task.hostPorts],
    servicePorts: app ? servicePortsOf(app).filter((p) => p !== 0) : [],
    slaveId: task.agentId,
    stagedAt: iso(task.stagedAt),
  };
  if (task.startedAt !== undefined) json.startedAt = iso(task.startedAt);
  json.state = `TASK_${task.state}`;
  json.version = task.version;
  return json;
}

function renderHealth(taskId: string, health: TaskHealth): Json {
  const json: Json = { alive: health.alive, consecutiveFailures: health.consecutiveFailures };
  if (health.firstSuccess !== undefined) json.firstSuccess = iso(health.firstSuccess);
  json.instanceId = instanceIdOfTask(taskId);
  if (health.lastFailure !== undefined) json.lastFailure = iso(health.lastFailure);
  if (health.lastFailureCause !== undefined) json.lastFailureCause = health.lastFailureCause;
  if (health.lastSuccess !== undefined) json.lastSuccess = iso(health.lastSuccess);
  return json;
}

export function renderTaskFailure(failure: TaskFailure): Json {
  const json: Json = {
    appId: failure.appId,
    host: failure.host,
    message: failure.message,
    state: `TASK_${failure.state}`,
    taskId: toMarathonTaskId(failure.taskId),
    timestamp: iso(failure.timestamp),
    version: failure.version,
  };
  if (failure.agentId !== undefined) json.slaveId = failure.agentId;
  return json;
}

/** `{tasks: [...]}`, for `/v2/tasks` and `/v2/apps/{id}/tasks`. */
export function renderTaskList(tasks: readonly AppTask[], appsById: ReadonlyMap<string, AppSpec>): Json {
  return { tasks: tasks.filter(isActive).map((t) => renderTask(t, appsById.get(t.appId))) };
}

/** One entry of `GET /v2/deployments`. */
export function renderDeployment(deployment: Deployment, readinessCheckResults: readonly Json[] = []): Json {
  const current = deployment.steps[deployment.currentStep - 1]?.actions ?? [];
  return {
    id: deployment.id,
    version: deployment.version,
    affectedApps: affectedApps(deployment),
    affectedPods: [],
    steps: deployment.steps.map((s) => ({ actions: s.actions.map((a) => ({ action: a.action, app: a.app })) })),
    currentActions: current.map((a) => ({ action: a.action, app: a.app, readinessCheckResults: [...readinessCheckResults] })),
    currentStep: deployment.currentStep,
    totalSteps: deployment.steps.length,
  };
}

export function affectedApps(plan: DeploymentPlan): string[] {
  return [...new Set(plan.steps.flatMap((s) => s.actions.map((a) => a.app)))].sort();
}

/** The body of a change that started a deployment (`{version, deploymentId}`). */
export function renderDeploymentResult(plan: DeploymentPlan): Json {
  return { version: plan.version, deploymentId: plan.id };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
