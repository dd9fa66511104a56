import { constants, existsSync } from 'node:fs';
import { access, appendFile, chown, writeFile } from 'node:fs/promises';
import { describeError } from '@pando/common';
import { isTerminalState, type TaskInfo } from '@pando/protocol';
import {
  defineExecutorPlugin,
  EXECUTOR_API_VERSION,
  type Executor,
  type ExecutorContext,
  type RecoveredTask,
  type TaskDriver,
  type TaskLaunch,
} from '@pando/sdk';
import { canCheckpoint } from '../executor-extensions';
import { outcomeOf, supervisorLostOutcome, type Outcome } from './exit-outcome';
import { isAlive, signalGroup, signalProcess, type ProcessIdentity } from './process-identity';
import { asSupervisorRecord, outboxOffsetOf, readExitStatus, readSupervisorRecord, sandboxPaths, writeKillRequest } from './sandbox-records';
import { SUPERVISOR_SCRIPT, SupervisorPool } from './supervisor-pool';
import { TaskOutbox } from './task-outbox';
import type { LaunchSpec } from './supervisor-process';
import { resolveUser, type UserIds } from './user-ids';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const SHELL = '/bin/sh';
/** Grace the supervisor uses when it is sent SIGTERM without a kill request (not by the agent). */
const SUPERVISOR_DEFAULT_GRACE_MS = 5000;
/** How often re-attached supervisors (not children of this process) are checked for their end. */
const RECOVERED_POLL_MS = 250;
/** `command-warm-supervisors` executor option: supervisors kept started ahead of launches. */
export const WARM_SUPERVISORS_OPTION = 'command-warm-supervisors';
const DEFAULT_WARM_SUPERVISORS = 2;

/** One task of this executor, from launch (or recovery) until its terminal update. */
interface CommandTask {
  taskId: string;
  driver: TaskDriver;
  sandboxDir: string;
  /** For messages: the program or shell line. */
  program: string;
  supervisor?: ProcessIdentity;
  taskPid?: number;
  /** We asked for a kill: whatever the exit looks like, it is reported as KILLED. */
  killRequested: boolean;
  killGraceMs?: number;
  ended: boolean;
  /** Re-attached after an agent restart: its supervisor is not our child, so it is polled. */
  recovered: boolean;
  orphanTimer?: NodeJS.Timeout;
  /** Follows `<sandbox>/outbox`: each line the task writes is a message to its framework. */
  outbox?: TaskOutbox;
  /** Where the outbox has been read up to (checkpointed). */
  outboxOffset: number;
}

/**
 * Runs a task as a plain process through a per-task supervisor (command-task.supervisor.js): the
 * supervisor runs `/bin/sh -c value` (or `value` with Mesos-style `arguments`) in the sandbox, in
 * its own process group, with stdout/stderr in the sandbox files, records the exit status in
 * `<sandbox>/exit-status.json` and carries out kills. Supervisor and task both outlive the agent,
 * so a restarted agent re-attaches to them (recover()) or reads how the task ended meanwhile.
 *
 * Framework messages: what the framework sends the task (MESSAGE) is appended, as is, to
 * `<sandbox>/inbox` (`$PANDO_INBOX`); every line the task appends to `<sandbox>/outbox`
 * (`$PANDO_OUTBOX`) goes to the framework as one MESSAGE event, without its newline. The last
 * lines of a task that ends are sent before its terminal update.
 */
export class CommandExecutor implements Executor {
  private readonly tasks = new Map<string, CommandTask>();
  private readonly pool: SupervisorPool;
  private pollTimer?: NodeJS.Timeout;

  constructor(private readonly context: ExecutorContext) {
    const warm = Number(context.options[WARM_SUPERVISORS_OPTION] ?? DEFAULT_WARM_SUPERVISORS);
    const size = Number.isInteger(warm) && warm >= 0 && warm <= 64 ? warm : DEFAULT_WARM_SUPERVISORS;
    this.pool = new SupervisorPool(size, context.workDir, context.log);
  }

  async probe(): Promise<{ available: boolean; message?: string }> {
    try {
      await access(SHELL, constants.X_OK);
    } catch (err) {
      return { available: false, message: `${SHELL} is not executable: ${describeError(err)}` };
    }
    if (!existsSync(SUPERVISOR_SCRIPT)) return { available: false, message: `the task supervisor ${SUPERVISOR_SCRIPT} is missing` };
    this.pool.start();
    return { available: true };
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
    const entry: CommandTask = {
      taskId,
      driver,
      sandboxDir: launch.sandboxDir,
      program: launch.task.command?.value ?? '',
      killRequested: false,
      ended: false,
      recovered: false,
      outboxOffset: 0,
    };
    this.tasks.set(taskId, entry);
    driver.update('STARTING');
    try {
      await this.start(launch, entry);
    } catch (err) {
      // start() reports its own failures; this is the last guard so no task stays STARTING.
      await this.end(entry, { state: 'FAILED', fields: { reason: 'REASON_COMMAND_EXECUTOR_FAILED', message: `failed to start task: ${describeError(err)}` } });
    }
  }

  async kill(taskId: string, gracePeriodMs: number): Promise<void> {
    const entry = this.tasks.get(taskId);
    if (!entry || entry.ended || entry.killRequested) return;
    entry.killRequested = true;
    entry.killGraceMs = gracePeriodMs;
    // Not started yet: start() sees the flag (before the hand-over, or once the supervisor answered).
    if (!entry.supervisor || (entry.taskPid === undefined && !entry.recovered)) return;
    this.context.log.info({ taskId, supervisorPid: entry.supervisor.pid, gracePeriodMs }, `killing task ${taskId} through its supervisor`);
    this.signalKill(entry, gracePeriodMs);
  }

  /** A framework's message: appended, as is, to the task's inbox (the agent calls this in order). */
  async message(taskId: string, data: Uint8Array): Promise<void> {
    const entry = this.tasks.get(taskId);
    if (!entry || entry.ended) return;
    await appendFile(sandboxPaths(entry.sandboxDir).inbox, data);
  }

  async recover(recovered: RecoveredTask[], driverFor: (taskId: string) => TaskDriver): Promise<void> {
    for (const item of recovered) {
      if (isTerminalState(item.lastState)) continue;
      const taskId = item.launch.task.taskId;
      if (this.tasks.has(taskId)) continue;
      try {
        await this.recoverOne(item, driverFor(taskId));
      } catch (err) {
        this.context.log.error({ taskId, err: describeError(err) }, `failed to recover task ${taskId}`);
      }
    }
  }

  async shutdown(): Promise<void> {
    // Tasks and their supervisors keep running; only idle supervisors and our timers go.
    this.pool.shutdown();
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    for (const entry of this.tasks.values()) {
      if (entry.orphanTimer) clearTimeout(entry.orphanTimer);
      // Lines written from now on are sent by the next agent (from the checkpointed offset).
      entry.outbox?.stop();
    }
  }

  private async start(launch: TaskLaunch, entry: CommandTask): Promise<void> {
    const command = launch.task.command;
    if (!command?.value) throw new Error('command.value is missing');
    let user: UserIds | undefined;
    if (command.user) {
      try {
        user = await resolveUser(command.user);
        await chown(launch.sandboxDir, user.uid, user.gid);
      } catch (err) {
        return this.end(entry, { state: 'FAILED', fields: { reason: 'REASON_COMMAND_EXECUTOR_FAILED', message: `failed to start task: ${describeError(err)}` } });
      }
    }
    if (entry.killRequested) {
      return this.end(entry, { state: 'KILLED', fields: { reason: 'REASON_TASK_KILLED_DURING_LAUNCH', message: 'killed before it started' } });
    }
    await this.createMailboxes(launch.sandboxDir, user);
    const supervisor = this.pool.take();
    // Nothing is written before the hand-over: the supervisor records itself and the task's pid
    // in the sandbox before it answers, so a restart finds them whenever the agent died.
    const reply = await supervisor.start(this.specFor(launch, user));
    void supervisor.closed.then(() => this.onSupervisorEnd(entry, supervisor.pid));
    if ('error' in reply) {
      // Also recorded in exit-status.json (for a restart), but the answer is enough and comes first.
      return this.end(entry, outcomeOf({ code: null, signal: null, killed: false, exitedAt: Date.now(), error: reply.error }, entry.program));
    }
    entry.supervisor = reply.identity;
    entry.taskPid = reply.started;
    this.checkpoint(entry);
    this.followOutbox(entry);
    if (entry.killRequested) this.signalKill(entry, entry.killGraceMs ?? SUPERVISOR_DEFAULT_GRACE_MS);
    this.context.log.info({ taskId: entry.taskId, pid: reply.started, supervisorPid: supervisor.pid, sandbox: launch.sandboxDir }, `task ${entry.taskId} started`);
    if (!entry.ended) entry.driver.update('RUNNING');
  }

  private specFor(launch: TaskLaunch, user?: UserIds): LaunchSpec {
    const command = launch.task.command!;
    const value = command.value!;
    const paths = sandboxPaths(launch.sandboxDir);
    const [file, args, argv0] = command.shell ? [SHELL, ['-c', value], undefined] : [value, (command.arguments ?? []).slice(1), command.arguments?.[0]];
    return {
      file,
      args,
      ...(argv0 !== undefined ? { argv0 } : {}),
      cwd: launch.sandboxDir,
      env: { PATH: process.env.PATH ?? DEFAULT_PATH, PANDO_INBOX: paths.inbox, PANDO_OUTBOX: paths.outbox, ...launch.env },
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
      stdoutPath: paths.stdout,
      stderrPath: paths.stderr,
      statusFile: paths.exitStatus,
      killFile: paths.kill,
      recordFile: paths.supervisor,
      defaultGraceMs: SUPERVISOR_DEFAULT_GRACE_MS,
      title: `pando-supervisor ${launch.task.taskId}`,
    };
  }

  /** Empty inbox and outbox, owned by the task's user, so that the task can read and append. */
  private async createMailboxes(sandboxDir: string, user: UserIds | undefined): Promise<void> {
    const { inbox, outbox } = sandboxPaths(sandboxDir);
    for (const path of [inbox, outbox]) {
      await writeFile(path, '', { flag: 'a' });
      if (user) await chown(path, user.uid, user.gid);
    }
  }

  /** Sends each line the task appends to its outbox to its framework, from `entry.outboxOffset` on. */
  private followOutbox(entry: CommandTask): void {
    if (entry.ended || entry.outbox) return;
    const path = sandboxPaths(entry.sandboxDir).outbox;
    const { driver, taskId } = entry;
    entry.outbox = new TaskOutbox(
      path,
      entry.outboxOffset,
      {
        line: (data) => {
          try {
            driver.sendMessage?.(data);
          } catch (err) {
            this.context.log.warn({ taskId, err: describeError(err) }, `cannot send a message of task ${taskId}: ${describeError(err)}`);
          }
        },
        consumed: (offset) => {
          entry.outboxOffset = offset;
          this.checkpoint(entry);
        },
      },
      this.context.log,
    );
    entry.outbox.start();
  }

  /** What a restarted agent needs to re-attach: the supervisor, the task's pid, the outbox offset. */
  private checkpoint(entry: CommandTask): void {
    if (!canCheckpoint(entry.driver) || !entry.supervisor) return;
    entry.driver.checkpoint({ supervisor: entry.supervisor, ...(entry.taskPid !== undefined ? { taskPid: entry.taskPid } : {}), outboxOffset: entry.outboxOffset });
  }

  /** The grace period goes in a file the supervisor reads when SIGTERM arrives. */
  private signalKill(entry: CommandTask, gracePeriodMs: number): void {
    const supervisor = entry.supervisor!;
    try {
      writeKillRequest(entry.sandboxDir, gracePeriodMs);
    } catch (err) {
      this.context.log.warn({ taskId: entry.taskId, err: describeError(err) }, 'cannot write the kill request; the supervisor uses its default grace');
    }
    if (isAlive(supervisor) && signalProcess(supervisor.pid, 'SIGTERM')) return;
    // No supervisor to do it (it died): kill the task's group ourselves.
    if (entry.taskPid === undefined) return;
    signalGroup(entry.taskPid, 'SIGTERM');
    entry.orphanTimer = setTimeout(() => signalGroup(entry.taskPid!, 'SIGKILL'), gracePeriodMs);
    entry.orphanTimer.unref();
  }

  /** The supervisor is gone: report what it recorded (or that it recorded nothing). */
  private onSupervisorEnd(entry: CommandTask, supervisorPid?: number): Promise<void> {
    if (entry.ended) return Promise.resolve();
    const status = readExitStatus(entry.sandboxDir);
    if (status) return this.end(entry, outcomeOf(status, entry.program));
    // Nothing recorded: its task may still run, unowned. It must not.
    if (entry.taskPid !== undefined) signalGroup(entry.taskPid, 'SIGKILL');
    const pid = entry.supervisor?.pid ?? supervisorPid ?? 0;
    return this.end(entry, entry.killRequested ? { state: 'KILLED', fields: { message: `killed (its supervisor, pid ${pid}, ended without recording the exit)` } } : supervisorLostOutcome(pid, 'ended without recording an exit status'));
  }

  private async recoverOne(item: RecoveredTask, driver: TaskDriver): Promise<void> {
    const { task, sandboxDir } = item.launch;
    const entry: CommandTask = {
      taskId: task.taskId,
      driver,
      sandboxDir,
      program: task.command?.value ?? '',
      killRequested: false,
      ended: false,
      recovered: true,
      outboxOffset: outboxOffsetOf(item.checkpoint),
    };
    const status = readExitStatus(sandboxDir);
    const record = readSupervisorRecord(sandboxDir) ?? asSupervisorRecord(item.checkpoint);
    // What it wrote while the agent was away is sent now (before its end, if it ended).
    const hasOutbox = existsSync(sandboxPaths(sandboxDir).outbox);
    if (status) {
      // Ended while the agent was away: its real outcome.
      this.tasks.set(entry.taskId, entry);
      entry.supervisor = record?.supervisor;
      if (hasOutbox) this.followOutbox(entry);
      await this.end(entry, outcomeOf(status, entry.program), 'ended while the agent was down');
      return;
    }
    if (!record) {
      this.tasks.set(entry.taskId, entry);
      const launching = item.lastState === 'STAGING' || item.lastState === 'STARTING';
      const outcome: Outcome = launching
        ? { state: 'FAILED', fields: { reason: 'REASON_AGENT_RESTARTED', message: 'the agent restarted before the task was started' } }
        : supervisorLostOutcome(0, 'left no record in the sandbox');
      await this.end(entry, outcome, 'never started');
      return;
    }
    entry.supervisor = record.supervisor;
    entry.taskPid = record.taskPid;
    this.tasks.set(entry.taskId, entry);
    if (hasOutbox) this.followOutbox(entry);
    if (!isAlive(record.supervisor)) {
      await this.onSupervisorEnd(entry);
      return;
    }
    this.context.log.info({ taskId: entry.taskId, supervisorPid: record.supervisor.pid, taskPid: record.taskPid }, `re-attached to task ${entry.taskId}`);
    if (item.lastState === 'KILLING') {
      // The kill was under way when the agent stopped: finish it.
      entry.killRequested = true;
      this.signalKill(entry, SUPERVISOR_DEFAULT_GRACE_MS);
    } else {
      driver.update('RUNNING');
    }
    this.watchRecovered();
  }

  /** Re-attached supervisors are not our children: poll them (cheap: one /proc read each). */
  private watchRecovered(): void {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => {
      let watching = 0;
      for (const entry of this.tasks.values()) {
        if (!entry.recovered || entry.ended || !entry.supervisor) continue;
        if (!isAlive(entry.supervisor)) {
          void this.onSupervisorEnd(entry);
          continue;
        }
        watching++;
      }
      if (watching === 0 && this.pollTimer) {
        clearInterval(this.pollTimer);
        this.pollTimer = undefined;
      }
    }, RECOVERED_POLL_MS);
    this.pollTimer.unref();
  }

  /** Reports the task's end (once); resolves when the terminal update has been made. */
  private async end(entry: CommandTask, outcome: Outcome, note?: string): Promise<void> {
    if (entry.ended) return;
    entry.ended = true;
    if (entry.orphanTimer) clearTimeout(entry.orphanTimer);
    this.tasks.delete(entry.taskId);
    if (note) this.context.log.info({ taskId: entry.taskId, state: outcome.state, ...outcome.fields }, `task ${entry.taskId} ${note}`);
    // Its last words first: the lines it wrote before it ended go out before its terminal update.
    if (entry.outbox) await entry.outbox.close().catch(() => undefined);
    entry.driver.update(outcome.state, outcome.fields);
  }
}

/** The built-in executor, registered through the same contract an external plugin uses. */
export const commandExecutorPlugin = defineExecutorPlugin({
  id: 'command',
  apiVersion: EXECUTOR_API_VERSION,
  create: (context: ExecutorContext) => new CommandExecutor(context),
});
