import { describeError } from '@pando/common';
import type { TaskInfo } from '@pando/protocol';
import type { Executor } from '@pando/sdk';
import { healthCheckProblems } from '../health/health-check.validator';
import { taskPortCount, taskPorts } from './task-env';

/** A task may hold at most this many ports (each becomes a PORTn variable). */
export const MAX_TASK_PORTS = 1000;

export interface LaunchValidationContext {
  agentId: string;
  /** Is this task id already known on this agent (running, finishing or completed)? */
  knows(taskId: string): boolean;
  lookup(executorId: string): { executor: Executor } | { problem: string };
}

export interface LaunchPlan {
  /** Tasks to start (when `problems` is empty) or to fail with ERROR (when it is not). */
  tasks: TaskInfo[];
  /** Ids already known here: a repeated launch, ignored. */
  duplicates: string[];
  /** Every problem of the group, each naming its task. */
  problems: string[];
}

/**
 * Checks a launch group before anything is created: a group starts all of its tasks or none.
 * A task id the agent already knows is a re-delivered launch, dropped rather than failed, so
 * a retried launch never disturbs the running task.
 */
export function planLaunch(frameworkId: string, group: readonly TaskInfo[], ctx: LaunchValidationContext): LaunchPlan {
  const duplicates = group.filter((t) => ctx.knows(t.taskId)).map((t) => t.taskId);
  const tasks = group.filter((t) => !ctx.knows(t.taskId));
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const task of tasks) {
    const prefix = `task '${task.taskId}'`;
    if (seen.has(task.taskId)) problems.push(`${prefix}: appears twice in the group`);
    seen.add(task.taskId);
    for (const problem of checkTask(frameworkId, task, ctx)) problems.push(`${prefix}: ${problem}`);
  }
  return { tasks, duplicates, problems };
}

function checkTask(frameworkId: string, task: TaskInfo, ctx: LaunchValidationContext): string[] {
  const problems: string[] = [];
  if (task.frameworkId !== frameworkId) problems.push(`belongs to framework '${task.frameworkId}', not '${frameworkId}'`);
  if (task.agentId !== ctx.agentId) problems.push(`is meant for agent '${task.agentId}', not this agent '${ctx.agentId}'`);
  const tooManyPorts = taskPortCount(task) > MAX_TASK_PORTS;
  if (tooManyPorts) problems.push(`asks for more than ${MAX_TASK_PORTS} ports`);
  const found = ctx.lookup(task.executor);
  if (!tooManyPorts) problems.push(...healthCheckProblems(task, taskPorts(task), 'executor' in found ? found.executor : undefined));
  if ('problem' in found) {
    problems.push(found.problem);
    return problems;
  }
  try {
    problems.push(...(found.executor.validate?.(task) ?? []));
  } catch (err) {
    problems.push(`executor '${task.executor}' failed to validate it: ${describeError(err)}`);
  }
  return problems;
}
