import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { createLogger, describeError, type Logger } from '@pando/common';
import { isTerminalState, type KillTaskMessage, type launchTasksMessageSchema, type TaskInfo } from '@pando/protocol';
import { Resources } from '@pando/resources';
import type { Executor, TaskDriver } from '@pando/sdk';
import type { z } from 'zod';
import { AGENT_CONFIG, type AgentConfig } from '../agent.options';
import { ExecutorCatalog } from '../executors/executor-catalog';
import { AgentSession } from '../master/agent-session';
import { StatusUpdateManager } from '../status/status-update-manager';
import { planLaunch } from './launch-validator';
import { taskEnvironment, taskPorts } from './task-env';

export type LaunchTasks = z.infer<typeof launchTasksMessageSchema>;

/** A task between "accepted" and "handed to its executor": a kill then is remembered here. */
interface Launching {
  killRequested: boolean;
}

/**
 * Turns launch and kill messages into executor calls: validates a group as a whole, creates
 * sandboxes, computes the task environment, and routes every executor report into the status
 * update manager (which owns the task table).
 */
@Injectable()
export class TaskManager {
  private readonly log: Logger = createLogger('agent.tasks');
  private readonly launching = new Map<string, Launching>();

  constructor(
    @Inject(AGENT_CONFIG) private readonly config: AgentConfig,
    private readonly session: AgentSession,
    private readonly statusUpdates: StatusUpdateManager,
    private readonly executors: ExecutorCatalog,
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
    const grace = message.gracePeriodMs ?? record.task.killGracePeriodMs ?? this.config.killGraceMs;
    const found = this.executors.lookup(record.task.executor);
    if ('problem' in found) {
      this.log.error({ taskId, problem: found.problem }, `cannot kill task ${taskId}`);
      return;
    }
    this.log.info({ taskId, gracePeriodMs: grace }, `killing task ${taskId}`);
    await found.executor.kill(taskId, grace);
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

  private driverFor(task: TaskInfo): TaskDriver {
    return { update: (state, fields) => void this.statusUpdates.update(task, state, fields, 'SOURCE_EXECUTOR') };
  }

  private failAgent(task: TaskInfo, reason: string, message: string, state: 'FAILED' | 'KILLED' = 'FAILED'): void {
    this.statusUpdates.update(task, state, { reason, message }, 'SOURCE_AGENT');
  }
}
