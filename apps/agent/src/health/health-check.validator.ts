import { healthCheckSchema, type TaskInfo } from '@pando/protocol';
import type { Executor } from '@pando/sdk';
import { canExecInTask } from '../executors/executor-extensions';

/** Every problem with a task's health check, for the launch validation (empty: fine or none). */
export function healthCheckProblems(task: TaskInfo, ports: readonly number[], executor: Executor | undefined): string[] {
  if (task.healthCheck === undefined) return [];
  const parsed = healthCheckSchema.safeParse(task.healthCheck);
  if (!parsed.success) return parsed.error.issues.map((i) => `healthCheck${i.path.length > 0 ? `.${i.path.join('.')}` : ''}: ${i.message}`);
  const check = parsed.data;
  const target = check.type === 'HTTP' ? check.http : check.type === 'TCP' ? check.tcp : undefined;
  if (check.type !== 'COMMAND' && target?.port === undefined) {
    const index = target?.portIndex ?? 0;
    if (index >= ports.length) return [`healthCheck: portIndex ${index} is out of range: the task has ${ports.length} port(s)`];
  }
  // A container's command checks must run inside it; only an executor that can exec there may take them.
  if (check.type === 'COMMAND' && task.container !== undefined && executor && !canExecInTask(executor)) {
    return [`healthCheck: executor '${task.executor}' cannot run COMMAND checks inside its tasks`];
  }
  return [];
}
