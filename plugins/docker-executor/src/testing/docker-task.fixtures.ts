import { isTerminalState, type TaskInfo, type TaskState } from '@pando/protocol';
import type { ResourceJson } from '@pando/resources';
import type { TaskDriver, TaskLaunch, TaskUpdateFields } from '@pando/sdk';

/** Test helpers for the Docker executor's specs (not part of the plugin's public surface). */

export interface TaskResources {
  cpus?: number;
  mem?: number;
  ports?: number[];
}

export function resourcesJson({ cpus, mem, ports }: TaskResources): ResourceJson[] {
  const json: ResourceJson[] = [];
  if (cpus !== undefined) json.push({ name: 'cpus', type: 'SCALAR', scalar: { value: cpus } });
  if (mem !== undefined) json.push({ name: 'mem', type: 'SCALAR', scalar: { value: mem } });
  if (ports && ports.length > 0) json.push({ name: 'ports', type: 'RANGES', ranges: { range: ports.map((p) => ({ begin: p, end: p })) } });
  return json;
}

export function dockerTaskInfo(taskId: string, fields: Partial<TaskInfo> & { res?: TaskResources } = {}): TaskInfo {
  const { res, ...rest } = fields;
  return {
    taskId,
    name: taskId,
    frameworkId: 'fw-docker-test',
    agentId: 'agent-docker-test',
    executor: 'docker',
    resources: resourcesJson(res ?? { cpus: 0.5, mem: 64 }),
    container: { type: 'DOCKER', docker: { image: 'pando/busybox:latest' } },
    ...rest,
  };
}

export function launchOf(task: TaskInfo, sandboxDir: string, ports: number[] = []): TaskLaunch {
  const env: Record<string, string> = { PANDO_TASK_ID: task.taskId, PANDO_SANDBOX: sandboxDir, HOST: '127.0.0.1' };
  ports.forEach((port, i) => (env[`PORT${i}`] = String(port)));
  if (ports.length > 0) env.PORTS = ports.join(',');
  return { task, sandboxDir, ports, env: { ...env, ...task.command?.env } };
}

export interface RecordedUpdate {
  state: TaskState;
  fields: TaskUpdateFields;
  at: number;
}

/** A TaskDriver that records every update, ignoring those after a terminal one as the agent does. */
export class RecordingDriver implements TaskDriver {
  readonly updates: RecordedUpdate[] = [];
  private ended = false;

  update(state: TaskState, fields: TaskUpdateFields = {}): void {
    if (this.ended) return;
    this.updates.push({ state, fields, at: Date.now() });
    if (isTerminalState(state)) this.ended = true;
  }

  states(): TaskState[] {
    return this.updates.map((u) => u.state);
  }

  last(): RecordedUpdate | undefined {
    return this.updates.at(-1);
  }

  terminal(): RecordedUpdate | undefined {
    return this.ended ? this.last() : undefined;
  }
}
