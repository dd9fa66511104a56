import { Inject, Injectable } from '@nestjs/common';
import { createLogger, type Clock, type Logger } from '@pando/common';
import { healthCheckSchema, type HealthCheck, type TaskInfo } from '@pando/protocol';
import { CLOCK } from '../agent.tokens';
import { canExecInTask } from '../executors/executor-extensions';
import { ExecutorCatalog } from '../executors/executor-catalog';
import { HealthChecker, type HealthListener, type HealthProbe } from './health-checker';
import { execProbe, httpProbe, shellProbe, tcpProbe } from './health-probes';

/** Everything a task's checks need to know about it. */
export interface CheckedTask {
  task: TaskInfo;
  sandboxDir: string;
  ports: readonly number[];
  env: Record<string, string>;
  launchedAt: number;
  /** The last verdict before an agent restart, if any. */
  healthy?: boolean;
}

/**
 * Runs health checks next to the tasks (in the agent, on the task's host), one checker per
 * RUNNING task that has a `healthCheck`. What to do with a verdict is the caller's: it passes
 * a listener (the task manager turns verdicts into status updates and kills).
 */
@Injectable()
export class HealthCheckService {
  private readonly checkers = new Map<string, HealthChecker>();
  private readonly log: Logger = createLogger('agent.health');

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly executors: ExecutorCatalog,
  ) {}

  /** Starts checking a task (once; a task without a health check is ignored). */
  start(checked: CheckedTask, listener: HealthListener): void {
    const { task } = checked;
    if (task.healthCheck === undefined || this.checkers.has(task.taskId)) return;
    const parsed = healthCheckSchema.safeParse(task.healthCheck);
    if (!parsed.success) return; // refused at launch; a recovered task from an older agent is left unchecked
    const log = this.log.child({ taskId: task.taskId, type: parsed.data.type });
    const probe = this.probeFor(parsed.data, checked);
    if (!probe) {
      log.warn('cannot run this health check here; the task is not checked');
      return;
    }
    const checker = new HealthChecker(parsed.data, probe, listener, this.clock, { launchedAt: checked.launchedAt, healthy: checked.healthy }, log);
    this.checkers.set(task.taskId, checker);
    checker.start();
    log.debug({ check: parsed.data }, 'health checks started');
  }

  stop(taskId: string): void {
    this.checkers.get(taskId)?.stop();
    this.checkers.delete(taskId);
  }

  stopAll(): void {
    for (const checker of this.checkers.values()) checker.stop();
    this.checkers.clear();
  }

  get activeCount(): number {
    return this.checkers.size;
  }

  private probeFor(check: HealthCheck, checked: CheckedTask): HealthProbe | undefined {
    const port = (target?: { port?: number; portIndex?: number }): number | undefined => target?.port ?? checked.ports[target?.portIndex ?? 0];
    switch (check.type) {
      case 'HTTP': {
        const p = port(check.http);
        return p === undefined ? undefined : httpProbe(p, check.http?.path ?? '/', check.http?.scheme ?? 'http');
      }
      case 'TCP': {
        const p = port(check.tcp);
        return p === undefined ? undefined : tcpProbe(p);
      }
      case 'COMMAND':
        return this.commandProbe(check.command!.value, checked);
    }
  }

  /** In the task's container when its executor can exec there, else a shell in the sandbox. */
  private commandProbe(value: string, checked: CheckedTask): HealthProbe | undefined {
    const found = this.executors.lookup(checked.task.executor);
    const executor = 'executor' in found ? found.executor : undefined;
    if (executor && canExecInTask(executor)) {
      const taskId = checked.task.taskId;
      return execProbe((timeoutMs) => executor.execInTask(taskId, value, timeoutMs));
    }
    if (checked.task.container !== undefined) return undefined;
    return shellProbe(value, checked.sandboxDir, checked.env);
  }
}
