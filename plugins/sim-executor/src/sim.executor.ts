import {
  defineExecutorPlugin,
  EXECUTOR_API_VERSION,
  type Executor,
  type TaskDriver,
  type TaskLaunch,
} from '@pando/sdk';

/** Task labels that steer a simulated task. */
export const SIM_DURATION_LABEL = 'pando.sim/duration-ms';
export const SIM_EXIT_CODE_LABEL = 'pando.sim/exit-code';

/**
 * A simulated executor for benchmarks and load tests: a task is RUNNING as soon as it is
 * launched and ends after the duration in its `pando.sim/duration-ms` label (FINISHED, or FAILED
 * when `pando.sim/exit-code` is non-zero); without the label it runs until killed. It runs
 * nothing, so a thousand simulated agents fit in one process while the protocol, the master
 * and the framework are exercised for real.
 */
export class SimExecutor implements Executor {
  private readonly tasks = new Map<string, { driver: TaskDriver; timer?: NodeJS.Timeout }>();

  async probe(): Promise<{ available: boolean }> {
    return { available: true };
  }

  validate(launchTask: TaskLaunch['task']): string[] {
    const raw = launchTask.labels?.[SIM_DURATION_LABEL];
    if (raw !== undefined && !(Number(raw) >= 0)) return [`label ${SIM_DURATION_LABEL} must be a number of milliseconds, got '${raw}'`];
    return [];
  }

  async launch(launch: TaskLaunch, driver: TaskDriver): Promise<void> {
    const { task } = launch;
    driver.update('RUNNING');
    const entry: { driver: TaskDriver; timer?: NodeJS.Timeout } = { driver };
    this.tasks.set(task.taskId, entry);
    const duration = task.labels?.[SIM_DURATION_LABEL];
    if (duration !== undefined) {
      const exitCode = Number(task.labels?.[SIM_EXIT_CODE_LABEL] ?? 0);
      entry.timer = setTimeout(() => {
        this.tasks.delete(task.taskId);
        if (exitCode === 0) driver.update('FINISHED');
        else driver.update('FAILED', { exitCode, message: `exited with code ${exitCode}` });
      }, Number(duration));
    }
  }

  async kill(taskId: string): Promise<void> {
    const entry = this.tasks.get(taskId);
    if (!entry) return;
    if (entry.timer) clearTimeout(entry.timer);
    this.tasks.delete(taskId);
    entry.driver.update('KILLED');
  }

  async shutdown(): Promise<void> {
    for (const entry of this.tasks.values()) if (entry.timer) clearTimeout(entry.timer);
    this.tasks.clear();
  }
}

export const simExecutorPlugin = defineExecutorPlugin({
  id: 'sim',
  apiVersion: EXECUTOR_API_VERSION,
  create: () => new SimExecutor(),
});
