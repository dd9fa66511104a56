import { Controller, Get, Inject } from '@nestjs/common';
import type { TaskInfo, TaskState } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { AGENT_CONFIG, type AgentConfig } from '../agent.options';
import { AGENT_RESOURCES, AGENT_VERSION } from '../agent.version';
import { ExecutorCatalog } from '../executors/executor-catalog';
import { AgentSession } from '../master/agent-session';
import { StatusUpdateManager } from '../status/status-update-manager';
import { TaskManager } from '../tasks/task-manager.service';

type StateResources = Record<string, number | string>;

export interface StateTaskJson {
  id: string;
  name: string;
  framework_id: string;
  /** Mesos style: TASK_RUNNING. */
  state: string;
  resources: StateResources;
  sandbox: string | null;
  executor: string;
  /** The last health check verdict, for tasks with a health check that has run. */
  healthy?: boolean;
}

export interface AgentStateJson {
  id: string | null;
  hostname: string;
  version: string;
  resources: StateResources;
  used_resources: StateResources;
  attributes: Record<string, string | number>;
  /** The executors that can run tasks here (the ones advertised to the master). */
  executors: string[];
  /** Enabled executors that cannot run tasks here, and why (a Docker engine that does not answer). */
  unavailable_executors: Array<{ id: string; reason: string }>;
  master: { registered: boolean; epoch: number | null; masterId: string | null };
  tasks: StateTaskJson[];
  completed_tasks: StateTaskJson[];
  pending_status_updates: number;
}

/** The agent's view of itself, in the shape of Mesos's agent /state (snake_case, TASK_* states). */
@Controller()
export class StateController {
  constructor(
    @Inject(AGENT_CONFIG) private readonly config: AgentConfig,
    @Inject(AGENT_RESOURCES) private readonly resources: Resources,
    @Inject(AGENT_VERSION) private readonly version: string,
    private readonly session: AgentSession,
    private readonly executors: ExecutorCatalog,
    private readonly statusUpdates: StatusUpdateManager,
    private readonly tasks: TaskManager,
  ) {}

  @Get('state')
  state(): AgentStateJson {
    const view = this.session.snapshot();
    const snapshot = this.statusUpdates.snapshot();
    return {
      id: view.agentId ?? null,
      hostname: this.config.hostname,
      version: this.version,
      resources: this.resources.toStateJson(),
      used_resources: this.tasks.usedResources().toStateJson(),
      attributes: this.config.attributes,
      executors: this.executors.availableIds(),
      unavailable_executors: this.executors.unavailable(),
      master: { registered: view.registered, epoch: view.epoch ?? null, masterId: view.masterId ?? null },
      tasks: snapshot.tasks.flatMap((r) => (r.task ? [stateTask(r.task, r.latest?.state ?? 'STAGING', r.sandboxDir, r.executor, r.latest?.healthy)] : [])),
      completed_tasks: snapshot.completed.map((c) => stateTask(c.task, c.status.state, c.sandboxDir, c.executor)),
      pending_status_updates: this.statusUpdates.pendingCount(),
    };
  }
}

function stateTask(task: TaskInfo, state: TaskState, sandbox: string | undefined, executor: string | undefined, healthy?: boolean): StateTaskJson {
  const json: StateTaskJson = {
    id: task.taskId,
    name: task.name,
    framework_id: task.frameworkId,
    state: `TASK_${state}`,
    resources: Resources.fromJson(task.resources).toStateJson(),
    sandbox: sandbox ?? null,
    executor: executor ?? task.executor,
  };
  if (healthy !== undefined) json.healthy = healthy;
  return json;
}
