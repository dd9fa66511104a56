process.env.PANDO_LOG_LEVEL ??= 'warn';

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@pando/common';
import type { TaskInfo, TaskState } from '@pando/protocol';
import type { RecoveredTask, TaskDriver, TaskLaunch, TaskUpdateFields } from '@pando/sdk';
import { killProcessesUnder, waitFor } from '@pando/testing';
import { CommandExecutor } from './command.executor';
import { identify, isAlive } from './process-identity';
import { readSupervisorRecord, sandboxPaths } from './sandbox-records';

interface Update extends TaskUpdateFields {
  state: TaskState;
}

class Recorder implements TaskDriver {
  readonly updates: Update[] = [];
  readonly saved: Array<Record<string, unknown>> = [];
  /** Messages and states, in the order they were reported. */
  readonly log: string[] = [];
  update(state: TaskState, fields: TaskUpdateFields = {}): void {
    this.updates.push({ state, ...fields });
    this.log.push(`state ${state}`);
  }
  sendMessage(data: Uint8Array): void {
    this.log.push(`message ${Buffer.from(data).toString()}`);
  }
  checkpoint(data: Record<string, unknown>): void {
    this.saved.push(data);
  }
  states(): TaskState[] {
    return this.updates.map((u) => u.state);
  }
  last(): Update | undefined {
    return this.updates.at(-1);
  }
}

/**
 * An agent restart, as the command executor sees it: a first executor launches tasks (their
 * supervisors outlive it), a second one is handed the tasks to recover, as a restarted agent
 * does. The first executor's in-memory state is simply dropped, as a SIGKILL would.
 */
describe('command executor recovery', () => {
  let root: string;
  let n = 0;
  const executors: CommandExecutor[] = [];

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'pando-cmd-recover-'));
  });
  afterAll(async () => {
    for (const e of executors) await e.shutdown();
    killProcessesUnder(root);
    rmSync(root, { recursive: true, force: true });
  });

  function newExecutor(): CommandExecutor {
    const executor = new CommandExecutor({ agentId: 'a1', hostname: 'h', workDir: root, log: createLogger('test'), options: { 'command-warm-supervisors': '1' } });
    executors.push(executor);
    return executor;
  }

  function launchOf(value: string): TaskLaunch {
    n++;
    const task: TaskInfo = { taskId: `r${n}`, name: `r${n}`, frameworkId: 'fw', agentId: 'a1', executor: 'command', resources: [], command: { value, shell: true } };
    const sandboxDir = join(root, task.taskId);
    mkdirSync(sandboxDir, { recursive: true });
    return { task, sandboxDir, ports: [], env: {} };
  }

  async function launchThenForget(value: string): Promise<{ launch: TaskLaunch; first: Recorder }> {
    const launch = launchOf(value);
    const first = new Recorder();
    const executor = newExecutor();
    await executor.probe();
    await executor.launch(launch, first);
    expect(first.states()).toEqual(['STARTING', 'RUNNING']);
    return { launch, first };
  }

  async function recover(launch: TaskLaunch, lastState: TaskState, checkpoint?: Record<string, unknown>): Promise<{ executor: CommandExecutor; driver: Recorder }> {
    const executor = newExecutor();
    const driver = new Recorder();
    const item: RecoveredTask = { launch, lastState, ...(checkpoint ? { checkpoint } : {}) };
    await executor.recover([item], () => driver);
    return { executor, driver };
  }

  it('records the supervisor and the task pid in the sandbox and through the driver', async () => {
    const { launch, first } = await launchThenForget('exec sleep 30');
    const record = readSupervisorRecord(launch.sandboxDir)!;
    expect(record.taskPid).toEqual(expect.any(Number));
    expect(isAlive(record.supervisor)).toBe(true);
    expect(identify(record.taskPid!)).toBeDefined();
    expect(first.saved.at(-1)).toEqual({ ...record, outboxOffset: 0 });
  });

  it('re-attaches to a task that still runs: no new process, and it can be killed', async () => {
    const { launch, first } = await launchThenForget('echo $$ > pid; exec sleep 30');
    await waitFor(() => existsSync(join(launch.sandboxDir, 'pid')), 'pid file');
    const pid = Number(readFileSync(join(launch.sandboxDir, 'pid'), 'utf8'));
    const { executor, driver } = await recover(launch, 'RUNNING', first.saved.at(-1));
    // RUNNING again (the agent drops it when the task was RUNNING already).
    expect(driver.states()).toEqual(['RUNNING']);
    expect(readSupervisorRecord(launch.sandboxDir)!.taskPid).toBe(pid);
    await executor.kill(launch.task.taskId, 2000);
    await waitFor(() => driver.last()?.state === 'KILLED', 'KILLED', 5000, 20);
    expect(driver.last()).toEqual({ state: 'KILLED', message: 'killed: exited by SIGTERM', exitCode: undefined });
    expect(first.states()).toEqual(['STARTING', 'RUNNING', 'KILLED']); // the old process still watched its child
  });

  it('reports the real outcome of a task that ended while the agent was away', async () => {
    const { launch } = await launchThenForget('sleep 0.2; exit 7');
    await waitFor(() => existsSync(sandboxPaths(launch.sandboxDir).exitStatus), 'exit status');
    const { driver } = await recover(launch, 'RUNNING');
    expect(driver.updates).toEqual([{ state: 'FAILED', message: 'exited with code 7', exitCode: 7 }]);
  });

  it('notices the end of a re-attached task by polling its supervisor', async () => {
    const { launch } = await launchThenForget('sleep 1; exit 0');
    const { driver } = await recover(launch, 'RUNNING');
    expect(driver.states()).toEqual(['RUNNING']);
    await waitFor(() => driver.last()?.state === 'FINISHED', 'FINISHED', 5000, 20);
    expect(driver.last()).toEqual({ state: 'FINISHED', message: 'exited with code 0', exitCode: 0 });
  });

  it('finishes a kill that was under way when the agent stopped', async () => {
    const { launch } = await launchThenForget("trap 'exit 0' TERM; while true; do sleep 0.1; done");
    const { driver } = await recover(launch, 'KILLING');
    await waitFor(() => driver.last()?.state === 'KILLED', 'KILLED', 5000, 20);
    expect(driver.states()).toEqual(['KILLED']);
  });

  it('reports a task the agent never handed over, and one whose supervisor died without a word', async () => {
    const never = launchOf('true');
    const neverRecovered = await recover(never, 'STARTING');
    expect(neverRecovered.driver.updates).toEqual([
      { state: 'FAILED', reason: 'REASON_AGENT_RESTARTED', message: 'the agent restarted before the task was started' },
    ]);

    const { launch } = await launchThenForget('echo $$ > pid; exec sleep 30');
    await waitFor(() => existsSync(join(launch.sandboxDir, 'pid')), 'pid file');
    const record = readSupervisorRecord(launch.sandboxDir)!;
    process.kill(record.supervisor.pid, 'SIGKILL');
    await waitFor(() => !isAlive(record.supervisor), 'supervisor gone', 5000, 20);
    const { driver } = await recover(launch, 'RUNNING');
    expect(driver.last()).toEqual(expect.objectContaining({ state: 'FAILED', reason: 'REASON_EXECUTOR_TERMINATED' }));
    // Its orphaned task does not run on unowned.
    await waitFor(() => identify(record.taskPid!) === undefined, 'the orphaned task to be killed', 5000, 20);
  });

  it('leaves tasks that had already ended alone', async () => {
    const { driver } = await recover(launchOf('true'), 'FINISHED');
    expect(driver.updates).toEqual([]);
  });

  it('sends what a task wrote to its outbox while the agent was away, from the checkpointed offset, before its end', async () => {
    const { launch, first } = await launchThenForget(
      'echo one >> "$PANDO_OUTBOX"; printf "two\\nthr" >> "$PANDO_OUTBOX"; while [ ! -f go ]; do sleep 0.05; done; echo ee >> "$PANDO_OUTBOX"; echo four >> "$PANDO_OUTBOX"',
    );
    await waitFor(() => first.saved.at(-1)?.['outboxOffset'] === 8, 'the first two lines read and checkpointed', 5000, 20);
    expect(first.log).toEqual(['state STARTING', 'state RUNNING', 'message one', 'message two']);
    // The agent stops; the task goes on writing, then ends.
    await executors.at(-1)!.shutdown();
    writeFileSync(join(launch.sandboxDir, 'go'), '');
    await waitFor(() => existsSync(sandboxPaths(launch.sandboxDir).exitStatus), 'exit status');
    const { driver } = await recover(launch, 'RUNNING', first.saved.at(-1));
    expect(driver.log).toEqual(['message three', 'message four', 'state FINISHED']);
    // The stopped executor read nothing more (it still saw its child end: it is its parent).
    expect(first.log.filter((entry) => entry.startsWith('message'))).toEqual(['message one', 'message two']);
  });
});
