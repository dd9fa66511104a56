import { Inject, Injectable } from '@nestjs/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';
import { isBridged, type AppDefinition, type ReadinessCheck } from '../app.types';
import { isCurrentConfig } from '../app-task';
import { toMarathonTaskId } from '../task-id';
import { AppStore } from '../state/app-store.service';
import { DeploymentRegistry } from '../state/deployment-registry.service';
import { TaskTracker, type TrackedTask } from '../state/task-tracker.service';
import { ConvergenceLoop } from './convergence-loop.service';

interface ReadinessState {
  appId: string;
  nextAt: number;
  inFlight: boolean;
  result?: Record<string, unknown>;
}

/** How an HTTP GET is made (a seam for tests). */
export type HttpGet = (url: string, timeoutMs: number) => Promise<{ status: number; contentType: string; body: string }>;

const fetchGet: HttpGet = async (url, timeoutMs) => {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const body = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body };
};

/**
 * Marathon's readiness checks, run by the plugin (as Marathon does) against new tasks while a
 * deployment waits for them: an HTTP GET to the task's port named `portName` until the status
 * is one of `httpStatusCodesForReady`. A ready task stays ready; results show in
 * `/v2/deployments` and the app's `readinessCheckResults`.
 */
@Injectable()
export class ReadinessChecker {
  private readonly states = new Map<string, ReadinessState>();
  httpGet: HttpGet = fetchGet;

  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext,
    private readonly apps: AppStore,
    private readonly tracker: TaskTracker,
    private readonly registry: DeploymentRegistry,
    private readonly loop: ConvergenceLoop,
  ) {
    loop.register('readiness', 15, (now) => this.check(now));
  }

  /** Results of the app's tasks under check, in Marathon's shape. */
  resultsOf(appId: string): Array<Record<string, unknown>> {
    const results: Array<Record<string, unknown>> = [];
    for (const state of this.states.values()) if (state.appId === appId && state.result) results.push(state.result);
    return results;
  }

  private check(now: number): void {
    for (const [taskId, state] of this.states) if (!this.tracker.get(taskId)) this.states.delete(taskId);
    for (const { record } of this.registry.all()) {
      for (const action of record.steps[record.currentStep - 1]?.actions ?? []) {
        if (action.action !== 'RestartApplication' && action.action !== 'ScaleApplication') continue;
        const app = this.apps.get(action.app);
        const check = app?.readinessChecks[0];
        if (!app || !check) continue;
        for (const task of this.tracker.tasksOf(app.id)) {
          if (task.state === 'RUNNING' && task.ready !== true && isCurrentConfig(task, app)) this.maybeProbe(app, check, task, now);
        }
      }
    }
  }

  private maybeProbe(app: AppDefinition, check: ReadinessCheck, task: TrackedTask, now: number): void {
    const state = this.states.get(task.taskId) ?? { appId: app.id, nextAt: now, inFlight: false };
    this.states.set(task.taskId, state);
    if (state.inFlight || state.nextAt > now) return;
    const port = portOf(app, check.portName, task.hostPorts);
    if (port === undefined) return;
    state.inFlight = true;
    state.nextAt = now + check.intervalSeconds * 1000;
    const url = `${check.protocol.toLowerCase()}://${task.host}:${port}${check.path}`;
    this.httpGet(url, check.timeoutSeconds * 1000)
      .then(
        (response) => {
          const ready = check.httpStatusCodesForReady.includes(response.status);
          if (ready) task.ready = true;
          state.result = result(check, task, ready, check.preserveLastResponse ? response : undefined);
          if (ready) this.loop.poke();
        },
        (err: unknown) => {
          state.result = result(check, task, false, undefined, err instanceof Error ? err.message : String(err));
        },
      )
      .finally(() => {
        state.inFlight = false;
      });
  }
}

function portOf(app: AppDefinition, portName: string, hostPorts: readonly number[]): number | undefined {
  const names = isBridged(app) || app.networks.some((n) => n.mode !== 'host') ? (app.container?.portMappings ?? []).map((m) => m.name) : app.portDefinitions.map((d) => d.name);
  const index = names.indexOf(portName);
  return index >= 0 ? hostPorts[index] : undefined;
}

function result(check: ReadinessCheck, task: TrackedTask, ready: boolean, response?: { status: number; contentType: string; body: string }, error?: string): Record<string, unknown> {
  const json: Record<string, unknown> = { name: check.name, taskId: toMarathonTaskId(task.taskId), ready };
  if (response) json.lastResponse = { status: response.status, contentType: response.contentType, body: response.body.slice(0, 4096) };
  else if (error !== undefined) json.lastResponse = { status: 0, contentType: 'text/plain', body: error };
  return json;
}
