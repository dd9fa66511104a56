import type { Logger } from '@pando/common';
import type { TaskInfo, TaskReason, TaskState } from '@pando/protocol';

/** The most bytes one framework message carries (TaskDriver.sendMessage, Executor.message). */
export { MAX_MESSAGE_BYTES } from '@pando/protocol';

/** The executor contract version. A plugin built for another version is refused at load time. */
export const EXECUTOR_API_VERSION = 1;

/** What an executor is given when the agent creates it (once per agent process). */
export interface ExecutorContext {
  /** '' until the agent's first registration: read it when needed, do not copy it at create time. */
  agentId: string;
  hostname: string;
  /** The agent's work dir; sandboxes live under it. */
  workDir: string;
  log: Logger;
  /**
   * Agent options for plugins, by flag name without dashes (e.g. `docker-volume-allow`),
   * from `--executor-opts key=value,...` or `PANDO_EXECUTOR_OPTS`. Plugins read and validate their own.
   */
  options: Readonly<Record<string, string>>;
}

/** One task, ready to start: the agent has validated it and created its sandbox. */
export interface TaskLaunch {
  task: TaskInfo;
  /** Absolute path of the task's sandbox dir (exists; stdout and stderr files go here). */
  sandboxDir: string;
  /** Host ports from the task's `ports` resources, in ascending order. */
  ports: number[];
  /**
   * Environment the task must see: PANDO_TASK_ID, PANDO_SANDBOX, HOST, PORT0..n, PORTS,
   * plus the task's own command env. Executors pass it through unchanged.
   */
  env: Record<string, string>;
}

/** Fields an executor may attach to a state change. */
export interface TaskUpdateFields {
  reason?: TaskReason | string;
  message?: string;
  healthy?: boolean;
  exitCode?: number;
}

/**
 * How an executor reports on one task. The agent turns each call into a status update with a
 * uuid, checkpoints it, and sends it to the master in order, retrying until acknowledged.
 * Calls after a terminal state are ignored, so executors need not guard against races
 * between exit and kill.
 */
export interface TaskDriver {
  update(state: TaskState, fields?: TaskUpdateFields): void;
  /**
   * Sends `data` to the task's framework, which gets it as a MESSAGE event
   * (`Scheduler.message`, base64 on the wire). Best effort, as Mesos's framework messages: sent
   * once, in call order, never retried; dropped (and logged by the master) when the framework is
   * not connected. At most MAX_MESSAGE_BYTES (768 KiB); more throws InputError. May be called
   * any time while the task runs, and right after its terminal update for last words.
   * Optional in the type only so that test doubles need not implement it: the agent's drivers
   * always have it.
   */
  sendMessage?(data: Uint8Array): void;
}

/** A task the agent had checkpointed before it restarted, handed back to its executor. */
export interface RecoveredTask {
  launch: TaskLaunch;
  /** The latest state the agent had recorded for it. */
  lastState: TaskState;
  /** Executor-owned data saved with `TaskDriver` runs (e.g. a container id or a pid). */
  checkpoint?: Record<string, unknown>;
}

/**
 * An executor runs tasks of one kind (shell commands, Docker containers, simulated tasks).
 * The agent calls `probe` once at start, then `recover` once (after a restart), then `launch`,
 * `kill` and `message` any number of times, and `shutdown` when it stops.
 */
export interface Executor {
  /**
   * Is this executor usable on this host right now? Called at agent start; an unavailable
   * executor is not advertised to the master. Must not throw.
   */
  probe?(): Promise<{ available: boolean; message?: string }>;
  /**
   * Checks a task's executor-specific settings before anything is created, listing every
   * problem. The agent answers TASK_ERROR with them when the list is not empty.
   */
  validate?(task: TaskInfo): string[];
  /**
   * Starts a task. Report STARTING, RUNNING and later the terminal state through `driver`.
   * Task failures (missing binary, pull error) are reported as FAILED, never thrown. Resolves
   * once the task has started or failed to start; waiting for exit happens in the background.
   */
  launch(launch: TaskLaunch, driver: TaskDriver): Promise<void>;
  /**
   * Kills a task: graceful stop, forced after `gracePeriodMs`; report KILLED through the task's
   * driver. Idempotent: killing a task that already ended does nothing.
   */
  kill(taskId: string, gracePeriodMs: number): Promise<void>;
  /**
   * After an agent restart, re-attaches the tasks the agent had checkpointed: report the ones
   * still running as RUNNING and the ones that ended meanwhile with their terminal state.
   */
  recover?(tasks: RecoveredTask[], driverFor: (taskId: string) => TaskDriver): Promise<void>;
  /**
   * A message from the task's framework (scheduler call MESSAGE), for a task this executor
   * launched or recovered and that has not ended. The agent calls it once per message, in
   * arrival order per task (the next call waits for the previous one's promise); it may overlap
   * with `kill`. Best effort: a throw or rejection is logged by the agent, never retried.
   * Executors without this hook cannot receive messages: the agent drops them with a warning.
   * What the task sees is the executor's to define (the command executor appends to a file).
   */
  message?(taskId: string, data: Uint8Array): void | Promise<void>;
  /** The agent is stopping; tasks keep running (they are recovered on restart). */
  shutdown?(): Promise<void>;
}

export interface ExecutorPlugin {
  /** kebab-case id, named in the agent's `--executors` list and in TaskInfo.executor. */
  id: string;
  apiVersion: number;
  create(context: ExecutorContext): Executor | Promise<Executor>;
}
