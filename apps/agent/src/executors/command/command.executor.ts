import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, chown, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '@pando/common';
import type { TaskInfo } from '@pando/protocol';
import {
  defineExecutorPlugin,
  EXECUTOR_API_VERSION,
  type Executor,
  type ExecutorContext,
  type TaskDriver,
  type TaskLaunch,
} from '@pando/sdk';
import { resolveUser, type UserIds } from './user-ids';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const SHELL = '/bin/sh';

/** One task of this executor, from launch until its process exits. */
interface CommandTask {
  taskId: string;
  driver: TaskDriver;
  pid?: number;
  /** We sent SIGTERM: whatever the exit looks like, it is reported as KILLED. */
  killRequested: boolean;
  exited: boolean;
  graceTimer?: NodeJS.Timeout;
}

/**
 * Runs a task as a plain process: `/bin/sh -c value` (shell, the default) or `value` with
 * Mesos-style `arguments` (argv including argv[0]). The process leads its own process group and
 * writes straight into <sandbox>/stdout and <sandbox>/stderr through inherited file descriptors,
 * so it keeps running, and keeps logging, when the agent stops.
 */
export class CommandExecutor implements Executor {
  private readonly tasks = new Map<string, CommandTask>();

  constructor(private readonly context: ExecutorContext) {}

  async probe(): Promise<{ available: boolean; message?: string }> {
    try {
      await access(SHELL, constants.X_OK);
      return { available: true };
    } catch (err) {
      return { available: false, message: `${SHELL} is not executable: ${describeError(err)}` };
    }
  }

  validate(task: TaskInfo): string[] {
    const problems: string[] = [];
    const command = task.command;
    if (!command) return ["the command executor needs 'command'"];
    if (!command.value) problems.push(command.shell ? "'command.value' (the shell command) is required" : "'command.value' (the program) is required");
    if (task.container) problems.push("the command executor does not run containers ('container' is given; use a container executor)");
    for (const [key, value] of Object.entries(command.env ?? {})) {
      if (key.includes('=') || key.includes('\0')) problems.push(`env name '${key}' must not contain '=' or NUL`);
      if (value.includes('\0')) problems.push(`env '${key}' must not contain NUL`);
    }
    const argv = [command.value ?? '', ...(command.arguments ?? [])];
    if (argv.some((arg) => arg.includes('\0'))) problems.push('the command must not contain NUL characters');
    return problems;
  }

  async launch(launch: TaskLaunch, driver: TaskDriver): Promise<void> {
    const taskId = launch.task.taskId;
    if (this.tasks.has(taskId)) return;
    const entry: CommandTask = { taskId, driver, killRequested: false, exited: false };
    this.tasks.set(taskId, entry);
    driver.update('STARTING');
    try {
      await this.start(launch, entry);
    } catch (err) {
      // start() reports its own failures; this is the last guard so no task stays STARTING.
      this.finish(entry);
      driver.update('FAILED', { reason: 'REASON_COMMAND_EXECUTOR_FAILED', message: `failed to start task: ${describeError(err)}` });
    }
  }

  async kill(taskId: string, gracePeriodMs: number): Promise<void> {
    const entry = this.tasks.get(taskId);
    if (!entry || entry.exited || entry.killRequested) return;
    entry.killRequested = true;
    // Not spawned yet: start() sees the flag before spawning and reports KILLED.
    if (entry.pid === undefined) return;
    const pid = entry.pid;
    this.context.log.info({ taskId, pid, gracePeriodMs }, `killing task ${taskId}: SIGTERM to its process group`);
    signalGroup(pid, 'SIGTERM');
    entry.graceTimer = setTimeout(() => {
      entry.graceTimer = undefined;
      if (!entry.exited) this.context.log.info({ taskId, pid }, `task ${taskId} outlived its grace period: SIGKILL`);
      // Also after the leader exited: its children got SIGTERM with it and had the same grace.
      signalGroup(pid, 'SIGKILL');
      if (entry.exited) this.tasks.delete(taskId);
    }, gracePeriodMs);
    entry.graceTimer.unref();
  }

  async shutdown(): Promise<void> {
    // Tasks keep running; only our timers go (the agent process is about to exit).
    for (const entry of this.tasks.values()) if (entry.graceTimer) clearTimeout(entry.graceTimer);
  }

  private async start(launch: TaskLaunch, entry: CommandTask): Promise<void> {
    const command = launch.task.command;
    if (!command?.value) throw new Error('command.value is missing');
    let user: UserIds | undefined;
    if (command.user) {
      try {
        user = await resolveUser(command.user);
        await chownSandbox(launch.sandboxDir, user);
      } catch (err) {
        return this.fail(entry, `failed to start task: ${describeError(err)}`);
      }
    }
    let files: { out: FileHandle; err: FileHandle };
    try {
      files = await openOutputs(launch.sandboxDir, user);
    } catch (err) {
      return this.fail(entry, `failed to open the task's stdout/stderr in '${launch.sandboxDir}': ${describeError(err)}`);
    }
    if (entry.killRequested) {
      await closeAll(files);
      this.finish(entry);
      entry.driver.update('KILLED', { reason: 'REASON_TASK_KILLED_DURING_LAUNCH', message: 'killed before it started' });
      return;
    }
    try {
      this.spawnTask(launch, entry, files, user);
    } finally {
      // The child holds its own copies of the descriptors.
      await closeAll(files);
    }
  }

  private spawnTask(launch: TaskLaunch, entry: CommandTask, files: { out: FileHandle; err: FileHandle }, user?: UserIds): void {
    const command = launch.task.command!;
    const value = command.value!;
    const [file, args, argv0] = command.shell ? [SHELL, ['-c', value], undefined] : [value, (command.arguments ?? []).slice(1), command.arguments?.[0]];
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        argv0,
        cwd: launch.sandboxDir,
        env: { PATH: process.env.PATH ?? DEFAULT_PATH, ...launch.env },
        stdio: ['ignore', files.out.fd, files.err.fd],
        detached: true,
        uid: user?.uid,
        gid: user?.gid,
      });
    } catch (err) {
      return this.fail(entry, `failed to start '${value}': ${describeError(err)}`);
    }
    child.on('error', (err) => {
      if (child.pid === undefined) this.fail(entry, `failed to start '${value}': ${describeError(err)}`);
      else this.context.log.warn({ taskId: entry.taskId, err: describeError(err) }, 'task process error');
    });
    if (child.pid === undefined) return; // 'error' follows (e.g. ENOENT with shell: false)
    entry.pid = child.pid;
    // The agent must be able to exit (or restart) while the task runs on.
    child.unref();
    child.on('exit', (code, signal) => this.onExit(entry, code, signal));
    this.context.log.info({ taskId: entry.taskId, pid: child.pid, sandbox: launch.sandboxDir }, `task ${entry.taskId} started`);
    entry.driver.update('RUNNING');
  }

  private onExit(entry: CommandTask, code: number | null, signal: NodeJS.Signals | null): void {
    entry.exited = true;
    const exitCode = code ?? undefined;
    if (entry.killRequested) {
      // The grace timer, when still armed, takes care of stragglers in the group.
      if (!entry.graceTimer) this.tasks.delete(entry.taskId);
      const how = signal ? `by ${signal}` : `with code ${code}`;
      entry.driver.update('KILLED', { message: `killed: exited ${how}`, exitCode });
      return;
    }
    this.tasks.delete(entry.taskId);
    // The task is over: nothing it left behind in its group may keep running unowned.
    if (entry.pid !== undefined) signalGroup(entry.pid, 'SIGKILL');
    if (code === 0) entry.driver.update('FINISHED', { message: 'exited with code 0', exitCode: 0 });
    else if (code !== null) {
      const hint = code === 127 ? ' (command not found)' : '';
      entry.driver.update('FAILED', { message: `exited with code ${code}${hint}`, exitCode: code });
    } else entry.driver.update('FAILED', { message: `killed by signal ${signal ?? 'unknown'}` });
  }

  private fail(entry: CommandTask, message: string): void {
    this.finish(entry);
    entry.driver.update('FAILED', { reason: 'REASON_COMMAND_EXECUTOR_FAILED', message });
  }

  private finish(entry: CommandTask): void {
    entry.exited = true;
    if (entry.graceTimer) clearTimeout(entry.graceTimer);
    this.tasks.delete(entry.taskId);
  }
}

/** Signals a whole process group; a group that is already gone is not an error. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function openOutputs(sandboxDir: string, user?: UserIds): Promise<{ out: FileHandle; err: FileHandle }> {
  const out = await open(join(sandboxDir, 'stdout'), 'a');
  let err: FileHandle;
  try {
    err = await open(join(sandboxDir, 'stderr'), 'a');
  } catch (e) {
    await out.close();
    throw e;
  }
  if (user) await Promise.all([out.chown(user.uid, user.gid), err.chown(user.uid, user.gid)]);
  return { out, err };
}

async function closeAll(files: { out: FileHandle; err: FileHandle }): Promise<void> {
  await Promise.allSettled([files.out.close(), files.err.close()]);
}

/** The task's user must be able to write its working dir. */
async function chownSandbox(sandboxDir: string, user: UserIds): Promise<void> {
  await chown(sandboxDir, user.uid, user.gid);
}

/** The built-in executor, registered through the same contract an external plugin uses. */
export const commandExecutorPlugin = defineExecutorPlugin({
  id: 'command',
  apiVersion: EXECUTOR_API_VERSION,
  create: (context) => new CommandExecutor(context),
});
