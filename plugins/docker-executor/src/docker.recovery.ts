import { describeError, type Logger } from '@pando/common';
import { isTerminalState } from '@pando/protocol';
import type { RecoveredTask, TaskDriver, TaskLaunch } from '@pando/sdk';
import { goneOutcome, outcomeOf, type TaskOutcome } from './container-outcome';
import { LABEL_AGENT_ID, LABEL_STOP_GRACE_MS, LABEL_TASK_ID } from './container-spec.validator';
import type { ContainerSummary, DockerEngineAdapter } from './docker-engine.adapter';
import type { DockerTask } from './docker-task';

/** docker stop's grace for a container no task claims, when it was created without stopGracePeriodMs. */
export const ORPHAN_STOP_GRACE_MS = 10_000;
/** A task recovered in KILLING state whose spec sets no stop grace is stopped with this one. */
const RECOVERED_KILL_GRACE_MS = 5_000;

export interface RecoveredDockerTask {
  task: DockerTask;
  /** The container is running: the executor re-attaches (waits and streams its output again). */
  running: boolean;
}

/**
 * Re-attaches a restarted agent to its containers, found by the agent-id label: tasks the agent
 * checkpointed get their container back (or their real outcome if it ended meanwhile), and
 * containers that no task claims are stopped and removed, so none is ever left orphaned.
 */
export class DockerRecovery {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly engine: DockerEngineAdapter,
    private readonly log: Logger,
    /** Read when needed: a brand-new agent learns its id only after registering. */
    private readonly agentId: () => string,
    private readonly keepContainers: boolean,
  ) {}

  async recover(
    recovered: readonly RecoveredTask[],
    driverFor: (taskId: string) => TaskDriver,
    makeTask: (launch: TaskLaunch, driver: TaskDriver) => DockerTask,
    adopt: (recovered: RecoveredDockerTask) => Promise<void>,
  ): Promise<void> {
    const containers = await this.engine.listContainers({ [LABEL_AGENT_ID]: this.agentId() });
    const byTask = new Map(containers.map((c) => [c.labels[LABEL_TASK_ID], c]));
    const claimed = new Set<string>();
    let running = 0;
    for (const entry of recovered) {
      const taskId = entry.launch.task.taskId;
      const container = byTask.get(taskId);
      if (container) claimed.add(container.id);
      if (isTerminalState(entry.lastState)) {
        // Already reported; only its container may be left over.
        if (container) this.track(this.stopAndRemove(container, 'its task had already ended'));
        continue;
      }
      const task = makeTask(entry.launch, driverFor(taskId));
      const result = await this.recoverOne(task, entry, container);
      if (result.running) running++;
      await adopt(result);
    }
    const unclaimed = containers.filter((c) => !claimed.has(c.id));
    for (const container of unclaimed) this.track(this.stopAndRemove(container, 'no recovered task claims it'));
    this.log.info({ recovered: recovered.length, running, unclaimed: unclaimed.length }, 'docker tasks recovered');
  }

  private async recoverOne(task: DockerTask, entry: RecoveredTask, container: ContainerSummary | undefined): Promise<RecoveredDockerTask> {
    // A kill may have been asked for while the recovery waited for the engine.
    const killing = entry.lastState === 'KILLING' || task.killRequested;
    const status = container ? await this.engine.inspectContainer(container.id) : undefined;
    if (!status) {
      const launching = entry.lastState === 'STAGING' || entry.lastState === 'STARTING';
      const outcome = launching
        ? restartedDuringLaunch(task.containerName)
        : goneOutcome(task.containerName, 'disappeared while the agent was down');
      return this.ended(task, outcome);
    }
    task.containerId = status.id;
    if (status.status === 'created') {
      await this.removeQuietly(status.id, task.taskId);
      return this.ended(task, restartedDuringLaunch(task.containerName));
    }
    if (!status.running) {
      const result = this.ended(task, outcomeOf(status, killing, task.memMb));
      if (!this.keepContainers) await this.removeQuietly(status.id, task.taskId);
      return result;
    }
    if (killing) {
      // The kill was under way when the agent stopped: finish it rather than report RUNNING again.
      task.killRequested = true;
      task.killGraceSeconds ??= Math.ceil((task.stopGraceMs ?? RECOVERED_KILL_GRACE_MS) / 1000);
    } else {
      task.driver.update('RUNNING');
    }
    this.log.info({ taskId: task.taskId, container: task.containerName }, 're-attached to running container');
    return { task, running: true };
  }

  private ended(task: DockerTask, outcome: TaskOutcome): RecoveredDockerTask {
    task.done = true;
    task.markFinished();
    task.driver.update(outcome.state, outcome.fields);
    this.log.info({ taskId: task.taskId, state: outcome.state, ...outcome.fields }, 'recovered task had ended');
    return { task, running: false };
  }

  /** kill() of a task this executor does not track (e.g. never recovered): stop its container if any. */
  async stopUntracked(taskId: string, graceSeconds: number): Promise<void> {
    const containers = await this.engine.listContainers({ [LABEL_AGENT_ID]: this.agentId(), [LABEL_TASK_ID]: taskId });
    await Promise.all(containers.map((c) => this.stopAndRemove(c, 'kill of an untracked task', graceSeconds)));
  }

  /** Resolves when every background stop started by recover() has ended. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private async stopAndRemove(container: ContainerSummary, why: string, graceSeconds?: number): Promise<void> {
    const log = this.log.child({ container: container.name, taskId: container.labels[LABEL_TASK_ID] });
    try {
      if (container.running) {
        const grace = graceSeconds ?? Math.ceil(orphanGraceMs(container) / 1000);
        log.warn({ why, graceSeconds: grace }, 'stopping a container');
        await this.engine.stopContainer(container.id, grace);
      }
      if (!this.keepContainers) await this.engine.removeContainer(container.id);
    } catch (err) {
      log.warn({ err: describeError(err) }, 'failed to stop or remove a container; the next recovery tries again');
    }
  }

  private async removeQuietly(id: string, taskId: string): Promise<void> {
    try {
      await this.engine.removeContainer(id);
    } catch (err) {
      this.log.warn({ taskId, err: describeError(err) }, 'failed to remove the container');
    }
  }
}

function orphanGraceMs(container: ContainerSummary): number {
  const fromLabel = Number(container.labels[LABEL_STOP_GRACE_MS]);
  return Number.isInteger(fromLabel) && fromLabel >= 0 ? fromLabel : ORPHAN_STOP_GRACE_MS;
}

function restartedDuringLaunch(name: string): TaskOutcome {
  return { state: 'FAILED', fields: { reason: 'REASON_AGENT_RESTARTED', message: `the agent restarted before container '${name}' was started` } };
}
