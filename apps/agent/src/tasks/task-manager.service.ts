import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { createLogger, describeError, InputError, type Logger } from '@pando/common';
import {
  isTerminalState,
  MAX_MESSAGE_BYTES,
  type ExecutorToFrameworkMessage,
  type FrameworkToExecutorMessage,
  type KillTaskMessage,
  type TaskInfo,
  type TaskReason,
  type TaskState,
} from '@pando/protocol';
import { Resources } from '@pando/resources';
import type { Executor, TaskLaunch, TaskUpdateFields } from '@pando/sdk';
import { AGENT_CONFIG, type AgentConfig } from '../agent.options';
import { ExecutorCatalog } from '../executors/executor-catalog';
import type { CheckpointingTaskDriver } from '../executors/executor-extensions';
import { HealthCheckService } from '../health/health-check.service';
import { AgentSession } from '../master/agent-session';
import { StatusUpdateManager, type TaskRecord } from '../status/status-update-manager';
import { planLaunch } from './launch-validator';
import { taskEnvironment, taskPorts } from './task-env';

/** One launch group of a framework: all of its tasks start, or none. */
export interface LaunchTasks {
  frameworkId: string;
  tasks: TaskInfo[];
}

/** A task between "accepted" and "handed to its executor": a kill then is remembered here. */
interface Launching {
  killRequested: boolean;
}

/** A kill the agent decided itself: the KILLED update says why. */
export interface AgentKill {
  reason: TaskReason;
  message: string;
  healthy?: boolean;
  /** A task of an identity the agent gave up: only its end is reported. */
  retiring?: boolean;
}

/** Where executors' messages for their frameworks go (the agent's NATS connection). */
export interface ExecutorMessagePublisher {
  publishExecutorMessage(message: ExecutorToFrameworkMessage): void;
}
export const EXECUTOR_MESSAGE_PUBLISHER = Symbol('EXECUTOR_MESSAGE_PUBLISHER');

/**
 * Turns launch and kill messages into executor calls: validates a group as a whole, creates
 * sandboxes, computes the task environment, and routes every executor report into the status
 * update manager (which owns the task table).
 */
@Injectable()
export class TaskManager {
  private readonly log: Logger = createLogger('agent.tasks');
  private readonly launching = new Map<string, Launching>();
  private readonly agentKills = new Map<string, AgentKill>();
  /** Per task, the last framework message handed to its executor (the next waits for it). */
  private readonly messageQueues = new Map<string, Promise<void>>();

  constructor(
    @Inject(AGENT_CONFIG) private readonly config: AgentConfig,
    private readonly session: AgentSession,
    private readonly statusUpdates: StatusUpdateManager,
    private readonly executors: ExecutorCatalog,
    private readonly health: HealthCheckService,
    @Inject(EXECUTOR_MESSAGE_PUBLISHER) private readonly outbox: ExecutorMessagePublisher,
  ) {}

  /** Sandbox of a task: <workDir>/sandboxes/<frameworkId>/<taskId>. */
  sandboxDir(task: Pick<TaskInfo, 'frameworkId' | 'taskId'>): string {
    return join(this.config.workDir, 'sandboxes', task.frameworkId, task.taskId);
  }

  async launchGroup(message: LaunchTasks): Promise<void> {
    const agentId = this.session.agentId ?? '';
    const plan = planLaunch(message.frameworkId, message.tasks, {
      agentId,
      knows: (taskId) => this.statusUpdates.knows(taskId),
      lookup: (id) => this.executors.lookup(id),
    });
    for (const taskId of plan.duplicates) this.log.info({ taskId, frameworkId: message.frameworkId }, `ignoring a repeated launch of known task ${taskId}`);
    if (plan.tasks.length === 0) return;
    if (plan.problems.length > 0) {
      this.rejectGroup(plan.tasks, plan.problems);
      return;
    }
    for (const task of plan.tasks) {
      this.statusUpdates.track(task, task.executor);
      this.launching.set(task.taskId, { killRequested: false });
    }
    this.log.info({ frameworkId: message.frameworkId, tasks: plan.tasks.map((t) => t.taskId) }, 'launching tasks');
    for (const task of plan.tasks) await this.launchOne(task);
  }

  async kill(message: KillTaskMessage): Promise<void> {
    const { taskId, frameworkId } = message;
    const record = this.statusUpdates.get(taskId);
    if (!record) {
      if (this.statusUpdates.knows(taskId)) {
        this.log.info({ taskId }, `kill of task ${taskId}, which already completed: nothing to do`);
        return;
      }
      this.log.info({ taskId, frameworkId }, `kill of unknown task ${taskId}: reporting it LOST`);
      this.statusUpdates.update({ taskId, frameworkId }, 'LOST', { reason: 'REASON_TASK_UNKNOWN', message: `task ${taskId} is not known on this agent` }, 'SOURCE_AGENT');
      return;
    }
    if (record.terminal || !record.task) {
      this.log.info({ taskId, state: record.latest?.state }, `kill of task ${taskId}, which already ended: nothing to do`);
      return;
    }
    const launching = this.launching.get(taskId);
    if (launching) {
      launching.killRequested = true;
      return;
    }
    await this.killNow(record.task, message.gracePeriodMs);
  }

  /**
   * A framework's message for one of its tasks: handed to the task's executor (`message` hook),
   * one at a time per task, in arrival order. Best effort: a message for a task this agent does
   * not run, one that ended, or whose executor takes no messages is dropped with a warning.
   */
  message(message: FrameworkToExecutorMessage): Promise<void> {
    const { taskId, frameworkId } = message;
    const record = this.statusUpdates.get(taskId);
    const drop = (why: string): Promise<void> => {
      this.log.warn({ taskId, frameworkId }, `message for task ${taskId} dropped: ${why}`);
      return Promise.resolve();
    };
    if (!record?.task || record.task.frameworkId !== frameworkId) return drop(`framework ${frameworkId} runs no such task on this agent`);
    if (record.terminal) return drop(`the task has ended (${record.latest?.state ?? 'terminal'})`);
    const executorId = record.task.executor;
    const found = this.executors.lookup(executorId);
    if ('problem' in found) return drop(found.problem);
    const executor = found.executor;
    if (!executor.message) return drop(`executor '${executorId}' takes no messages`);
    const data = Buffer.from(message.data, 'base64');
    const previous = this.messageQueues.get(taskId) ?? Promise.resolve();
    const next = previous
      .then(() => executor.message!(taskId, data))
      .catch((err: unknown) => {
        this.log.warn({ taskId, err: describeError(err) }, `executor '${executorId}' failed to take a message for task ${taskId}: ${describeError(err)}`);
      });
    this.messageQueues.set(taskId, next);
    void next.then(() => {
      if (this.messageQueues.get(taskId) === next) this.messageQueues.delete(taskId);
    });
    return next;
  }

  /**
   * Kills a task for the agent's own reasons (failed health checks, an incompatible restart):
   * its KILLED update carries `reason` and `message`. Does not wait for the task to end.
   */
  killAsAgent(taskId: string, kill: AgentKill): void {
    const record = this.statusUpdates.get(taskId);
    if (!record?.task || record.terminal) return;
    this.agentKills.set(taskId, kill);
    this.log.warn({ taskId, reason: kill.reason }, `task ${taskId}: ${kill.message}`);
    void this.killNow(record.task, undefined);
  }

  /** What an executor's recover() needs about a restored task. */
  launchOf(record: Readonly<TaskRecord> & { task: TaskInfo }): TaskLaunch {
    const task = record.task;
    const sandboxDir = record.sandboxDir ?? this.sandboxDir(task);
    const ports = taskPorts(task);
    const env = taskEnvironment(task, { agentId: task.agentId, host: this.config.advertiseHost, sandboxDir }, ports);
    return { task, sandboxDir, ports, env };
  }

  private async killNow(task: TaskInfo, gracePeriodMs: number | undefined): Promise<void> {
    const grace = gracePeriodMs ?? task.killGracePeriodMs ?? this.config.killGraceMs;
    const found = this.executors.lookup(task.executor);
    if ('problem' in found) {
      this.log.error({ taskId: task.taskId, problem: found.problem }, `cannot kill task ${task.taskId}`);
      return;
    }
    this.log.info({ taskId: task.taskId, gracePeriodMs: grace }, `killing task ${task.taskId}`);
    try {
      await found.executor.kill(task.taskId, grace);
    } catch (err) {
      this.log.error({ taskId: task.taskId, err: describeError(err) }, `executor '${task.executor}' failed to kill task ${task.taskId}`);
    }
  }

  /** Resources of the tasks that have not reached a terminal state. */
  usedResources(): Resources {
    const used = Resources.empty();
    for (const record of this.statusUpdates.snapshot().tasks) {
      if (record.task && !(record.latest && isTerminalState(record.latest.state))) used.addInPlace(Resources.fromJson(record.task.resources));
    }
    return used;
  }

  private rejectGroup(tasks: TaskInfo[], problems: string[]): void {
    const message = `invalid task group: ${problems.join('; ')}`;
    this.log.warn({ tasks: tasks.map((t) => t.taskId), problems }, 'refusing a launch group');
    for (const task of tasks) {
      // A task id given twice in one group gets one ERROR.
      if (!this.statusUpdates.track(task, task.executor)) continue;
      this.statusUpdates.update(task, 'ERROR', { reason: 'REASON_TASK_INVALID', message }, 'SOURCE_AGENT');
    }
  }

  private async launchOne(task: TaskInfo): Promise<void> {
    const found = this.executors.lookup(task.executor);
    const sandboxDir = this.sandboxDir(task);
    try {
      if ('problem' in found) throw new Error(found.problem); // validated just before; kept for safety
      try {
        await mkdir(sandboxDir, { recursive: true });
      } catch (err) {
        this.failAgent(task, 'REASON_SANDBOX_CREATION_FAILED', `failed to create sandbox '${sandboxDir}': ${describeError(err)}`);
        return;
      }
      this.statusUpdates.setSandbox(task.taskId, sandboxDir);
      if (this.launching.get(task.taskId)?.killRequested) {
        this.failAgent(task, 'REASON_TASK_KILLED_DURING_LAUNCH', 'killed before it started', 'KILLED');
        return;
      }
      this.launching.delete(task.taskId);
      await this.handOver(found.executor, task, sandboxDir);
    } catch (err) {
      this.failAgent(task, 'REASON_CONTAINER_LAUNCH_FAILED', `executor '${task.executor}' failed to launch the task: ${describeError(err)}`);
    } finally {
      this.launching.delete(task.taskId);
    }
  }

  private async handOver(executor: Executor, task: TaskInfo, sandboxDir: string): Promise<void> {
    const ports = taskPorts(task);
    const env = taskEnvironment(task, { agentId: this.session.agentId ?? task.agentId, host: this.config.advertiseHost, sandboxDir }, ports);
    await executor.launch({ task, sandboxDir, ports, env }, this.driverFor(task));
  }

  /** How an executor reports on a task (launched now or recovered after a restart). */
  driverFor(task: TaskInfo): CheckpointingTaskDriver {
    return {
      update: (state, fields) => this.onExecutorUpdate(task, state, fields ?? {}),
      checkpoint: (data) => this.statusUpdates.setExecutorData(task.taskId, data),
      sendMessage: (data) => this.sendMessage(task, data),
    };
  }

  /** An executor's message for the task's framework, published to the master (best effort). */
  private sendMessage(task: TaskInfo, data: Uint8Array): void {
    if (data.byteLength > MAX_MESSAGE_BYTES) {
      throw new InputError(`message from task ${task.taskId} refused: ${data.byteLength} bytes, at most ${MAX_MESSAGE_BYTES} are sent`);
    }
    const agentId = this.session.agentId ?? task.agentId;
    const base64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
    this.outbox.publishExecutorMessage({ agentId, frameworkId: task.frameworkId, taskId: task.taskId, data: base64 });
  }

  private onExecutorUpdate(task: TaskInfo, state: TaskState, fields: TaskUpdateFields): void {
    const record = this.statusUpdates.get(task.taskId);
    if (!record || record.terminal) return;
    const agentKill = this.agentKills.get(task.taskId);
    if (isTerminalState(state)) {
      this.health.stop(task.taskId);
      this.agentKills.delete(task.taskId);
      if (agentKill && state === 'KILLED') fields = withAgentKill(fields, agentKill);
    } else if (agentKill?.retiring) {
      return;
    } else if (state === 'RUNNING' && record.latest?.state === 'RUNNING' && Object.keys(fields).length === 0) {
      // A re-attached task that was RUNNING already: nothing new to tell.
      this.startHealthChecks(record);
      return;
    }
    this.statusUpdates.update(task, state, fields, 'SOURCE_EXECUTOR');
    if (state === 'RUNNING') this.startHealthChecks(record);
  }

  private startHealthChecks(record: Readonly<TaskRecord>): void {
    const task = record.task;
    if (!task?.healthCheck || this.agentKills.get(task.taskId)?.retiring) return;
    const launch = this.launchOf({ ...record, task });
    this.health.start(
      { ...launch, launchedAt: record.launchedAt ?? Date.now(), healthy: record.latest?.healthy },
      {
        healthChanged: (healthy, message) => {
          const current = this.statusUpdates.get(task.taskId);
          if (!current || current.terminal || current.latest?.state !== 'RUNNING') return;
          const verdict = healthy ? 'passed' : 'failed';
          this.statusUpdates.update(task, 'RUNNING', { healthy, reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED', message: `health check ${verdict}: ${message}` }, 'SOURCE_EXECUTOR');
        },
        failedTooOften: (failures, message) => {
          const why = `failed ${failures} consecutive health check${failures === 1 ? '' : 's'} (last: ${message})`;
          this.killAsAgent(task.taskId, { reason: 'REASON_HEALTH_CHECK_FAILED', message: `killed: ${why}`, healthy: false });
        },
      },
    );
  }

  private failAgent(task: TaskInfo, reason: string, message: string, state: 'FAILED' | 'KILLED' = 'FAILED'): void {
    this.statusUpdates.update(task, state, { reason, message }, 'SOURCE_AGENT');
  }
}

function withAgentKill(fields: TaskUpdateFields, kill: AgentKill): TaskUpdateFields {
  const how = fields.message ? ` (${fields.message})` : '';
  return { ...fields, reason: kill.reason, message: `${kill.message}${how}`, ...(kill.healthy !== undefined ? { healthy: kill.healthy } : {}) };
}
