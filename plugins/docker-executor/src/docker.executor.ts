import { join } from 'node:path';
import { describeError, type Logger } from '@pando/common';
import type { TaskInfo } from '@pando/protocol';
import { Resources } from '@pando/resources';
import type { Executor, ExecutorContext, RecoveredTask, TaskDriver, TaskLaunch } from '@pando/sdk';
import { abortableSleep } from './abortable-sleep';
import { buildContainerPlan, containerName, type ContainerPlan } from './container-config.builder';
import { effectivePullPolicy, type ContainerSpec } from './container-spec';
import { parseContainerSpec, validateDockerTask } from './container-spec.validator';
import { ContainerSupervisor } from './container.supervisor';
import { DockerEngineAdapter, type PullProgress } from './docker-engine.adapter';
import type { DockerExecutorOptions } from './docker-executor.options';
import { newDockerTask, type DockerTask } from './docker-task';
import { DockerRecovery } from './docker.recovery';
import { lastSandboxWriteSeconds, SandboxLogSink } from './sandbox-log.sink';

const PROBE_TIMEOUT_MS = 2_000;
/** How long kill() waits for the KILLED update after `docker stop` returned. */
const KILL_SETTLE_MS = 10_000;
/** Backoff of a recovery that found the engine down. */
const RECOVERY_RETRY_INITIAL_MS = 500;
const RECOVERY_RETRY_MAX_MS = 5_000;

/** A launch step failed: reported as FAILED with this reason and message. */
class LaunchFailure extends Error {
  constructor(
    message: string,
    readonly reason: string = 'REASON_CONTAINER_LAUNCH_FAILED',
  ) {
    super(message);
  }
}

/**
 * Runs each task as a Docker container named `pando-<taskId>`, labelled with the agent, framework
 * and task ids so that a restarted agent finds its containers again (the engine is the only
 * checkpoint the executor needs). Output goes to the sandbox's stdout and stderr files.
 */
export class DockerExecutor implements Executor {
  private readonly tasks = new Map<string, DockerTask>();
  private readonly log: Logger;
  private readonly supervisor: ContainerSupervisor;
  private readonly recovery: DockerRecovery;
  private hostCpus: number | undefined;
  /** Aborted by shutdown(): ends a recovery that waits for the engine. */
  private readonly stopping = new AbortController();
  private deferredRecovery: Promise<void> | undefined;
  /** Tasks handed to recover() while the engine was down, not re-attached yet. */
  private readonly awaitingRecovery = new Set<string>();
  /** Kills (grace in seconds) asked for tasks still awaiting recovery. */
  private readonly pendingKills = new Map<string, number>();

  constructor(
    private readonly context: ExecutorContext,
    private readonly options: DockerExecutorOptions,
    private readonly engine: DockerEngineAdapter = new DockerEngineAdapter(options.socketPath),
  ) {
    this.log = context.log;
    this.supervisor = new ContainerSupervisor(engine, this.log, { keepContainers: options.keepContainers });
    this.recovery = new DockerRecovery(engine, this.log, () => context.agentId, options.keepContainers);
  }

  async probe(): Promise<{ available: boolean; message?: string }> {
    try {
      await this.engine.ping(PROBE_TIMEOUT_MS);
      return { available: true };
    } catch (err) {
      return { available: false, message: `Docker engine at ${this.options.socketPath} is not usable: ${describeError(err)}` };
    }
  }

  validate(task: TaskInfo): string[] {
    return validateDockerTask(task, this.options);
  }

  async launch(launch: TaskLaunch, driver: TaskDriver): Promise<void> {
    const taskId = launch.task.taskId;
    if (this.tasks.has(taskId)) return;
    const task = newDockerTask({ taskId, containerName: containerName(taskId), driver, launch });
    this.tasks.set(taskId, task);
    driver.update('STARTING');
    try {
      await this.start(task);
    } catch (err) {
      await this.failLaunch(task, err);
    }
  }

  private async start(task: DockerTask): Promise<void> {
    const started = Date.now();
    const spec = this.specOf(task.launch.task);
    task.stopGraceMs = spec.docker.stopGracePeriodMs;
    const mem = Resources.fromJson(task.launch.task.resources).scalar('mem');
    if (mem > 0) task.memMb = mem;
    this.hostCpus ??= await this.engine.hostCpus().catch(() => undefined);
    const plan = buildContainerPlan({ launch: task.launch, spec, agentId: this.context.agentId, options: this.options, hostCpus: this.hostCpus });
    if (plan.ignoredParameters.length > 0) {
      this.log.warn({ taskId: task.taskId, parameters: plan.ignoredParameters }, 'docker parameters are not supported; ignored');
    }
    await this.ensureImage(task, plan, spec);
    if (this.endIfKilled(task)) return;
    task.containerId = await this.engine.createContainer(plan.create);
    task.sinks = await this.openSinks(task);
    if (await this.endIfKilledAfterCreate(task)) return;
    const startedAt = Math.floor(Date.now() / 1000);
    await this.engine.startContainer(task.containerId);
    const ms = Date.now() - started;
    this.log.info({ taskId: task.taskId, container: plan.name, image: plan.image, ports: plan.ports, ms }, 'container started');
    task.driver.update('RUNNING');
    void this.supervisor.supervise(task, startedAt);
  }

  private specOf(info: TaskInfo): ContainerSpec {
    try {
      return parseContainerSpec(info);
    } catch (err) {
      // The agent validates before launching; this guards a launch that skipped it.
      throw new LaunchFailure(describeError(err), 'REASON_TASK_INVALID');
    }
  }

  /** Pulls the image when the pull policy asks for it. */
  private async ensureImage(task: DockerTask, plan: ContainerPlan, spec: ContainerSpec): Promise<void> {
    const policy = effectivePullPolicy(spec.docker);
    if (policy !== 'always') {
      if (await this.engine.imageExists(plan.image)) return;
      if (policy === 'never') throw new LaunchFailure(`image '${plan.image}' is not present on this agent and the pull policy is 'never'`);
    }
    const log = this.log.child({ taskId: task.taskId, image: plan.image });
    log.info({ policy }, 'pulling image');
    const started = Date.now();
    let lastStatus = '';
    await this.engine.pullImage(plan.image, (event: PullProgress) => {
      // One line per status change, not per progress tick (a layer download sends hundreds).
      const status = `${event.id ?? ''} ${event.status ?? ''}`.trim();
      if (status !== lastStatus) log.debug({ progress: status }, 'pull progress');
      lastStatus = status;
    });
    log.info({ ms: Date.now() - started }, 'pulled image');
  }

  private endIfKilled(task: DockerTask): boolean {
    if (!task.killRequested) return false;
    this.endTask(task);
    task.driver.update('KILLED', { reason: 'REASON_TASK_KILLED_DURING_LAUNCH', message: 'killed before its container started' });
    return true;
  }

  private async endIfKilledAfterCreate(task: DockerTask): Promise<boolean> {
    if (!task.killRequested) return false;
    await this.removeQuietly(task);
    await task.sinks?.close();
    return this.endIfKilled(task);
  }

  /** Reports a failed launch and leaves nothing behind (no container, no open files). */
  private async failLaunch(task: DockerTask, err: unknown): Promise<void> {
    const reason = err instanceof LaunchFailure ? err.reason : 'REASON_CONTAINER_LAUNCH_FAILED';
    const message = describeError(err);
    this.log.warn({ taskId: task.taskId, reason, err: message }, 'container launch failed');
    await this.removeQuietly(task);
    await task.sinks?.close();
    this.endTask(task);
    task.driver.update('FAILED', { reason, message });
  }

  private async removeQuietly(task: DockerTask): Promise<void> {
    if (!task.containerId) return;
    try {
      await this.engine.removeContainer(task.containerId);
    } catch (err) {
      this.log.warn({ taskId: task.taskId, err: describeError(err) }, 'failed to remove the container');
    }
  }

  private endTask(task: DockerTask): void {
    task.done = true;
    task.markFinished();
  }

  async kill(taskId: string, gracePeriodMs: number): Promise<void> {
    const task = this.tasks.get(taskId);
    if (!task) return this.killUntracked(taskId, Math.ceil(gracePeriodMs / 1000));
    if (task.done) return;
    task.killRequested = true;
    task.killGraceSeconds = Math.ceil((task.stopGraceMs ?? gracePeriodMs) / 1000);
    // Still pulling or creating: the launch sees the flag and reports KILLED itself.
    if (!task.containerId) return;
    try {
      await this.engine.stopContainer(task.containerId, task.killGraceSeconds);
    } catch (err) {
      // The supervisor stops it (and reports KILLED) once the engine answers again.
      this.log.warn({ taskId, err: describeError(err) }, 'failed to stop the container; it is stopped when the engine answers again');
      return;
    }
    // The supervisor sees the exit and reports KILLED; wait for it so the caller sees the end.
    await settleWithin(task.finished, KILL_SETTLE_MS);
  }

  private async killUntracked(taskId: string, graceSeconds: number): Promise<void> {
    if (this.awaitingRecovery.has(taskId)) {
      // Its recovery waits for the engine: the kill is carried out when it is re-attached.
      this.pendingKills.set(taskId, graceSeconds);
      return;
    }
    try {
      await this.recovery.stopUntracked(taskId, graceSeconds);
    } catch (err) {
      this.log.warn({ taskId, err: describeError(err) }, 'failed to look for the container of an unknown task');
    }
  }

  /**
   * Runs `/bin/sh -c command` inside the task's container (docker exec): the agent uses it for
   * COMMAND health checks, which must see the container's file system, processes and network.
   * Not part of the SDK contract (yet): the agent probes for it with `'execInTask' in executor`.
   */
  async execInTask(taskId: string, command: string, timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const task = this.tasks.get(taskId);
    if (!task || task.done || !task.containerId) throw new Error(`task ${taskId} has no running container on this agent`);
    return this.engine.exec(task.containerId, ['/bin/sh', '-c', command], timeoutMs);
  }

  async recover(recovered: RecoveredTask[], driverFor: (taskId: string) => TaskDriver): Promise<void> {
    try {
      await this.recoverNow(recovered, driverFor);
    } catch (err) {
      // Nothing is known about the containers: report nothing (the agent's last states stand)
      // and finish the recovery when the engine answers, rather than fail the agent's start.
      this.log.warn({ err: describeError(err), tasks: recovered.length }, 'the Docker engine is unreachable; recovery continues when it answers');
      for (const entry of recovered) this.awaitingRecovery.add(entry.launch.task.taskId);
      this.deferredRecovery = this.recoverLater(recovered, driverFor);
    }
  }

  private async recoverLater(recovered: RecoveredTask[], driverFor: (taskId: string) => TaskDriver): Promise<void> {
    let delay = RECOVERY_RETRY_INITIAL_MS;
    while (!this.stopping.signal.aborted) {
      await abortableSleep(delay, this.stopping.signal);
      if (this.stopping.signal.aborted) return;
      try {
        await this.recoverNow(recovered, driverFor);
        this.awaitingRecovery.clear();
        this.log.info({ tasks: recovered.length }, 'the Docker engine answers again; recovery done');
        return;
      } catch {
        delay = Math.min(delay * 2, RECOVERY_RETRY_MAX_MS);
      }
    }
  }

  /** One recovery pass; tasks re-attached by an earlier, interrupted pass are skipped. */
  private async recoverNow(recovered: RecoveredTask[], driverFor: (taskId: string) => TaskDriver): Promise<void> {
    const remaining = recovered.filter((entry) => !this.tasks.has(entry.launch.task.taskId));
    const makeTask = (launch: TaskLaunch, driver: TaskDriver): DockerTask => {
      const taskId = launch.task.taskId;
      const task = newDockerTask({ taskId, containerName: containerName(taskId), driver, launch });
      task.stopGraceMs = parseContainerSpecQuietly(launch.task)?.docker.stopGracePeriodMs;
      const mem = Resources.fromJson(launch.task.resources).scalar('mem');
      if (mem > 0) task.memMb = mem;
      const pendingKill = this.pendingKills.get(taskId);
      if (pendingKill !== undefined) {
        task.killRequested = true;
        task.killGraceSeconds = pendingKill;
      }
      return task;
    };
    await this.recovery.recover(remaining, driverFor, makeTask, async ({ task, running }) => {
      this.tasks.set(task.taskId, task);
      this.awaitingRecovery.delete(task.taskId);
      this.pendingKills.delete(task.taskId);
      if (!running) return;
      const since = await lastSandboxWriteSeconds(task.launch.sandboxDir);
      task.sinks = await this.openSinks(task);
      void this.supervisor.supervise(task, since);
    });
  }

  private openSinks(task: DockerTask): Promise<SandboxLogSink> {
    return SandboxLogSink.open(task.launch.sandboxDir, (err) =>
      this.log.warn({ taskId: task.taskId, err: describeError(err) }, 'failed to write the sandbox logs'),
    );
  }

  /** Stops watching; containers keep running and are recovered by the next agent process. */
  async shutdown(): Promise<void> {
    this.stopping.abort();
    const running = [...this.tasks.values()].filter((task) => !task.done);
    for (const task of running) task.abort.abort();
    await Promise.all(running.map((task) => task.finished));
    await Promise.all(running.map((task) => task.sinks?.close()));
    await this.deferredRecovery;
    await this.recovery.settled();
  }
}

async function settleWithin(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function parseContainerSpecQuietly(info: TaskInfo): ContainerSpec | undefined {
  try {
    return parseContainerSpec(info);
  } catch {
    return undefined;
  }
}
