import type { TaskInfo } from '@pando/protocol';
import { Resources } from '@pando/resources';

/** Host ports a task was given (its `ports` resources), ascending. */
export function taskPorts(task: TaskInfo): number[] {
  const ports: number[] = [];
  for (const [begin, end] of Resources.fromJson(task.resources).ranges('ports')) {
    for (let port = begin; port <= end; port++) ports.push(port);
  }
  return ports;
}

/** How many ports a task asks for, without expanding the ranges. */
export function taskPortCount(task: TaskInfo): number {
  return Resources.fromJson(task.resources)
    .ranges('ports')
    .reduce((n, [begin, end]) => n + end - begin + 1, 0);
}

/**
 * The environment every task sees, Marathon style: PORT0..PORTn, PORTS and PORT (= PORT0) for
 * its host ports, HOST for reaching it, and the PANDO_* ids. The task's own command.env comes
 * last, so a task may override any of them.
 */
export function taskEnvironment(
  task: TaskInfo,
  where: { agentId: string; host: string; sandboxDir: string },
  ports: readonly number[] = taskPorts(task),
): Record<string, string> {
  const env: Record<string, string> = {
    PANDO_TASK_ID: task.taskId,
    PANDO_SANDBOX: where.sandboxDir,
    PANDO_FRAMEWORK_ID: task.frameworkId,
    PANDO_AGENT_ID: where.agentId,
    HOST: where.host,
  };
  ports.forEach((port, i) => {
    env[`PORT${i}`] = String(port);
  });
  if (ports.length > 0) {
    env.PORTS = ports.join(',');
    env.PORT = String(ports[0]);
  }
  return { ...env, ...(task.command?.env ?? {}) };
}
