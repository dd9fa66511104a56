import type { AppDefinition, HealthCheck } from './app.types';
import { healthCheckJson } from './app-json.view';
import type { AppTask } from './app-task';
import type { Deployment, DeploymentPlan } from './deployment.planner';
import { iso, renderApp } from './marathon-json.view';
import { renderGroup } from './marathon-status.view';
import { instanceIdOfTask, toMarathonTaskId } from './task-id';

/**
 * Marathon's event bus (`GET /v2/events`, Server-Sent Events): the JSON bodies tools such as
 * marathon-lb and traefik listen to, with Marathon's `eventType` names.
 */

type Json = Record<string, unknown>;

export const MARATHON_EVENT_TYPES = [
  'event_stream_attached',
  'event_stream_detached',
  'api_post_event',
  'status_update_event',
  'health_status_changed_event',
  'failed_health_check_event',
  'unhealthy_task_kill_event',
  'deployment_info',
  'deployment_step_success',
  'deployment_step_failure',
  'deployment_success',
  'deployment_failed',
  'app_terminated_event',
] as const;
export type MarathonEventType = (typeof MARATHON_EVENT_TYPES)[number];

export interface MarathonEvent extends Json {
  eventType: MarathonEventType;
  timestamp: string;
}

function event(eventType: MarathonEventType, now: number, body: Json): MarathonEvent {
  return { ...body, eventType, timestamp: iso(now) };
}

/** One SSE frame, as Marathon writes it: `event: <type>` then `data: <json>`. */
export function toServerSentEvent(e: MarathonEvent): string {
  return `event: ${e.eventType}\ndata: ${JSON.stringify(e)}\n\n`;
}

export function streamAttachedEvent(remoteAddress: string, now: number, detached = false): MarathonEvent {
  return event(detached ? 'event_stream_detached' : 'event_stream_attached', now, { remoteAddress });
}

export function apiPostEvent(clientIp: string, uri: string, app: AppDefinition, now: number): MarathonEvent {
  return event('api_post_event', now, { clientIp, uri, appDefinition: renderApp(app, { tasks: [], deploymentIds: [] }, new Set()) });
}

/** Sent for every task state change; `message` is the status message, if any. */
export function statusUpdateEvent(task: AppTask, now: number, message = ''): MarathonEvent {
  return event('status_update_event', now, {
    slaveId: task.agentId,
    taskId: toMarathonTaskId(task.taskId),
    taskStatus: `TASK_${task.state}`,
    message,
    appId: task.appId,
    host: task.host,
    ipAddresses: (task.ipAddresses ?? []).map((ip) => ({ ipAddress: ip, protocol: ip.includes(':') ? 'IPv6' : 'IPv4' })),
    ports: [...task.hostPorts],
    version: task.version,
  });
}

export function healthStatusChangedEvent(task: AppTask, alive: boolean, now: number): MarathonEvent {
  return event('health_status_changed_event', now, { appId: task.appId, instanceId: instanceIdOfTask(task.taskId), version: task.version, alive });
}

export function failedHealthCheckEvent(task: AppTask, check: HealthCheck, now: number): MarathonEvent {
  return event('failed_health_check_event', now, { appId: task.appId, taskId: toMarathonTaskId(task.taskId), healthCheck: healthCheckJson(check) });
}

export function unhealthyTaskKillEvent(task: AppTask, reason: string, now: number): MarathonEvent {
  return event('unhealthy_task_kill_event', now, {
    appId: task.appId,
    taskId: toMarathonTaskId(task.taskId),
    version: task.version,
    reason,
    host: task.host,
    slaveId: task.agentId,
  });
}

/** The plan as deployment events carry it: steps plus the original and target root groups. */
function planJson(plan: DeploymentPlan): Json {
  const group = (apps: Record<string, AppDefinition>) =>
    renderGroup('/', Object.values(apps).map((app) => ({ app, status: { tasks: [], deploymentIds: [] } })));
  return {
    id: plan.id,
    original: group(plan.original),
    target: group(plan.target),
    steps: plan.steps.map((s) => ({ actions: s.actions.map((a) => ({ action: a.action, app: a.app })) })),
    version: plan.version,
  };
}

/** deployment_info (a step starts), deployment_step_success or deployment_step_failure. */
export function deploymentStepEvent(
  type: 'deployment_info' | 'deployment_step_success' | 'deployment_step_failure',
  deployment: Deployment,
  now: number,
): MarathonEvent {
  const step = deployment.steps[deployment.currentStep - 1];
  return event(type, now, { plan: planJson(deployment), currentStep: { actions: (step?.actions ?? []).map((a) => ({ action: a.action, app: a.app })) } });
}

export function deploymentFinishedEvent(plan: DeploymentPlan, succeeded: boolean, now: number, reason?: string): MarathonEvent {
  const body: Json = { id: plan.id, plan: planJson(plan) };
  if (!succeeded && reason !== undefined) body.reason = reason;
  return event(succeeded ? 'deployment_success' : 'deployment_failed', now, body);
}

export function appTerminatedEvent(appId: string, now: number): MarathonEvent {
  return event('app_terminated_event', now, { appId });
}

/** `GET /v2/events?event_type=a&event_type=b`: no filter means every type. */
export function eventFilter(eventTypes: readonly string[] | undefined): (e: MarathonEvent) => boolean {
  if (!eventTypes || eventTypes.length === 0) return () => true;
  const wanted = new Set(eventTypes);
  return (e) => wanted.has(e.eventType);
}
