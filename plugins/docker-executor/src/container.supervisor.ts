import { describeError, type Logger } from '@pando/common';
import { abortableSleep } from './abortable-sleep';
import { goneOutcome, outcomeOf, type TaskOutcome } from './container-outcome';
import type { ContainerStatus, DockerEngineAdapter } from './docker-engine.adapter';
import type { DockerTask } from './docker-task';
import { lastSandboxWriteSeconds } from './sandbox-log.sink';

export interface SupervisorSettings {
  keepContainers: boolean;
  /** First and longest pause between inspect retries while the engine does not answer. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** How long to wait for the last log lines once the container stopped. */
  logDrainMs?: number;
}

const DEFAULT_RETRY_INITIAL_MS = 250;
const DEFAULT_RETRY_MAX_MS = 5_000;
const DEFAULT_LOG_DRAIN_MS = 2_000;
/** While the engine is unreachable, repeat the warning this often (not on every retry). */
const UNREACHABLE_LOG_EVERY_MS = 30_000;

/**
 * Watches one started container until it ends, streaming its output into the sandbox, then
 * reports the terminal state and removes the container. When the engine stops answering, the
 * wait fails: that says nothing about the task, so the supervisor keeps inspecting with backoff
 * and reports what really happened once the engine answers again.
 */
export class ContainerSupervisor {
  constructor(
    private readonly engine: DockerEngineAdapter,
    private readonly log: Logger,
    private readonly settings: SupervisorSettings,
  ) {}

  /** Runs until the terminal update is sent or the task is aborted (shutdown). Never rejects. */
  async supervise(task: DockerTask, logsSinceSeconds: number): Promise<void> {
    try {
      await this.watch(task, logsSinceSeconds);
    } catch (err) {
      // Only a bug gets here; the task stays unreported rather than reported wrongly.
      this.log.error({ taskId: task.taskId, err: describeError(err) }, 'supervising the container failed');
    } finally {
      task.markFinished();
    }
  }

  private async watch(task: DockerTask, logsSinceSeconds: number): Promise<void> {
    const id = task.containerId!;
    const signal = task.abort.signal;
    let since = logsSinceSeconds;
    for (;;) {
      let logs = this.streamLogs(task, since);
      this.stopIfKillRequested(task, true);
      const waitFailedAt = await this.waitForExit(task, id);
      if (signal.aborted) return;
      const status = await this.inspectUntilAnswered(task, id);
      if (status === null) return;
      if (status === undefined || !status.running) {
        if (waitFailedAt !== undefined && status !== undefined) {
          // The stream broke with the engine: fetch what did not reach the sandbox files, from
          // their last write (output sent just before the outage may not have arrived).
          logs.stop();
          logs = this.streamLogs(task, Math.min(waitFailedAt, await lastSandboxWriteSeconds(task.launch.sandboxDir)));
        }
        await logs.drain(this.settings.logDrainMs ?? DEFAULT_LOG_DRAIN_MS);
        await this.finish(task, status === undefined ? goneOutcome(task.containerName, 'disappeared (removed outside Pando?)') : outcomeOf(status, task.killRequested, task.memMb));
        return;
      }
      // Still running: the engine came back after an outage. Resume where the output stopped.
      logs.stop();
      since = waitFailedAt ?? Math.floor(Date.now() / 1000);
      await abortableSleep(this.settings.retryInitialMs ?? DEFAULT_RETRY_INITIAL_MS, signal);
    }
  }

  /** Resolves when the container stops; returns the time (s) the wait failed, if it did. */
  private async waitForExit(task: DockerTask, id: string): Promise<number | undefined> {
    try {
      await this.engine.waitContainer(id, task.abort.signal);
      return undefined;
    } catch (err) {
      if (!task.abort.signal.aborted) {
        this.log.warn({ taskId: task.taskId, err: describeError(err) }, 'lost the wait on the container; checking its state');
      }
      return Math.floor(Date.now() / 1000);
    }
  }

  /**
   * The container's state, retrying with backoff while the engine does not answer.
   * undefined: the container does not exist; null: the task was aborted meanwhile.
   */
  private async inspectUntilAnswered(task: DockerTask, id: string): Promise<ContainerStatus | undefined | null> {
    const signal = task.abort.signal;
    let delay = this.settings.retryInitialMs ?? DEFAULT_RETRY_INITIAL_MS;
    let failingSince: number | undefined;
    let lastWarning = 0;
    while (!signal.aborted) {
      try {
        const status = await this.engine.inspectContainer(id);
        if (failingSince !== undefined) {
          this.log.info({ taskId: task.taskId, downMs: Date.now() - failingSince }, 'the Docker engine answers again');
        }
        return status;
      } catch (err) {
        failingSince ??= Date.now();
        if (Date.now() - lastWarning >= UNREACHABLE_LOG_EVERY_MS) {
          lastWarning = Date.now();
          this.log.warn(
            { taskId: task.taskId, err: describeError(err) },
            'the Docker engine is unreachable; the task is not reported until it answers again',
          );
        }
      }
      await abortableSleep(delay, signal);
      delay = Math.min(delay * 2, this.settings.retryMaxMs ?? DEFAULT_RETRY_MAX_MS);
    }
    return null;
  }

  /** Sends the terminal update, closes the sandbox files and removes the container. */
  private async finish(task: DockerTask, outcome: TaskOutcome): Promise<void> {
    if (task.done) return;
    task.done = true;
    await task.sinks?.close();
    task.driver.update(outcome.state, outcome.fields);
    this.log.info({ taskId: task.taskId, state: outcome.state, ...outcome.fields }, 'task ended');
    if (!this.settings.keepContainers && task.containerId) {
      try {
        await this.engine.removeContainer(task.containerId);
      } catch (err) {
        // Left for the next recovery, which removes containers no task claims.
        this.log.warn({ taskId: task.taskId, err: describeError(err) }, 'failed to remove the ended container');
      }
    }
  }

  /** A kill asked for while the engine was away (or before the start finished) is carried out now. */
  stopIfKillRequested(task: DockerTask, quiet = false): void {
    if (!task.killRequested || task.done || !task.containerId) return;
    this.engine.stopContainer(task.containerId, task.killGraceSeconds ?? 0).catch((err: unknown) => {
      if (!quiet) this.log.warn({ taskId: task.taskId, err: describeError(err) }, 'failed to stop the container');
    });
  }

  /** Follows the container's output into the sandbox files in the background. */
  private streamLogs(task: DockerTask, sinceSeconds: number): LogFollower {
    const local = new AbortController();
    const signal = AbortSignal.any([task.abort.signal, local.signal]);
    const sinks = task.sinks;
    const done = sinks
      ? this.engine.followLogs(task.containerId!, sinceSeconds, sinks, signal).catch((err: unknown) => {
          if (!signal.aborted) this.log.debug({ taskId: task.taskId, err: describeError(err) }, 'log streaming stopped');
        })
      : Promise.resolve();
    return {
      stop: () => local.abort(),
      drain: async (ms: number) => {
        await Promise.race([done, abortableSleep(ms, signal)]);
        local.abort();
      },
    };
  }
}

interface LogFollower {
  stop(): void;
  /** Waits up to `ms` for the stream to end by itself (the container stopped), then stops it. */
  drain(ms: number): Promise<void>;
}
