process.env.PANDO_LOG_LEVEL ??= 'warn';

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@pando/common';
import { killProcessesUnder } from '@pando/testing';
import type { CommandSpec, TaskInfo, TaskState } from '@pando/protocol';
import type { Executor, TaskDriver, TaskUpdateFields } from '@pando/sdk';
import { commandExecutorPlugin } from './command.executor';

interface Update extends TaskUpdateFields {
  state: TaskState;
}

/** Records a task's updates and resolves when a terminal one arrives. */
class RecordingDriver implements TaskDriver {
  readonly updates: Update[] = [];
  private resolveEnd!: (u: Update) => void;
  readonly ended = new Promise<Update>((resolve) => (this.resolveEnd = resolve));

  update(state: TaskState, fields: TaskUpdateFields = {}): void {
    const u = { state, ...fields };
    this.updates.push(u);
    if (['FINISHED', 'FAILED', 'KILLED', 'ERROR', 'LOST'].includes(state)) this.resolveEnd(u);
  }

  states(): TaskState[] {
    return this.updates.map((u) => u.state);
  }

  waitFor(state: TaskState, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const check = (): void => {
        if (this.states().includes(state)) resolve();
        else if (Date.now() - started > timeoutMs) reject(new Error(`no ${state}; got ${this.states().join(',')}`));
        else setTimeout(check, 10);
      };
      check();
    });
  }
}

/** A zombie (exited, not yet reaped by init) counts as dead. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('command executor', () => {
  let root: string;
  let executor: Executor;
  let n = 0;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'pando-cmd-'));
    executor = await commandExecutorPlugin.create({ agentId: 'a1', hostname: 'h', workDir: root, log: createLogger('test'), options: {} });
  });
  afterAll(async () => {
    await executor.shutdown?.();
    killProcessesUnder(root); // whatever a failed test left running
    rmSync(root, { recursive: true, force: true });
  });

  function taskWith(command: Partial<CommandSpec> | undefined, extra: Partial<TaskInfo> = {}): TaskInfo {
    n++;
    return {
      taskId: `t${n}`,
      name: `t${n}`,
      frameworkId: 'fw',
      agentId: 'a1',
      executor: 'command',
      resources: [],
      command: command ? { shell: true, ...command } : undefined,
      ...extra,
    };
  }

  async function run(task: TaskInfo, env: Record<string, string> = {}): Promise<{ driver: RecordingDriver; sandbox: string }> {
    const sandbox = join(root, task.taskId);
    mkdirSync(sandbox, { recursive: true });
    const driver = new RecordingDriver();
    await executor.launch({ task, sandboxDir: sandbox, ports: [], env }, driver);
    return { driver, sandbox };
  }

  it('is available where /bin/sh is', async () => {
    await expect(executor.probe!()).resolves.toEqual({ available: true });
  });

  it('validates: a command value is needed, containers are not run', () => {
    expect(executor.validate!(taskWith({ value: 'true' }))).toEqual([]);
    expect(executor.validate!(taskWith(undefined))).toEqual(["the command executor needs 'command'"]);
    expect(executor.validate!(taskWith({ value: undefined }, { container: { docker: { image: 'x' } } }))).toEqual([
      "'command.value' (the shell command) is required",
      "the command executor does not run containers ('container' is given; use a container executor)",
    ]);
    expect(executor.validate!(taskWith({ value: 'true', env: { 'A=B': 'x' } }))).toEqual(["env name 'A=B' must not contain '=' or NUL"]);
  });

  it('runs a shell command in its sandbox: STARTING, RUNNING, FAILED with the exit code; output in files', async () => {
    const { driver, sandbox } = await run(taskWith({ value: 'echo hi; echo oops >&2; pwd; echo "$GREETING $PATH"; exit 3' }), { GREETING: 'hello' });
    const end = await driver.ended;
    expect(driver.states()).toEqual(['STARTING', 'RUNNING', 'FAILED']);
    expect(end).toEqual({ state: 'FAILED', message: 'exited with code 3', exitCode: 3 });
    const stdout = readFileSync(join(sandbox, 'stdout'), 'utf8').split('\n');
    expect(stdout[0]).toBe('hi');
    expect(stdout[1]).toBe(sandbox);
    expect(stdout[2]).toBe(`hello ${process.env.PATH}`);
    expect(readFileSync(join(sandbox, 'stderr'), 'utf8')).toBe('oops\n');
  });

  it('reports FINISHED for exit 0 and names a missing command for 127', async () => {
    const ok = await run(taskWith({ value: 'true' }));
    expect(await ok.driver.ended).toEqual({ state: 'FINISHED', message: 'exited with code 0', exitCode: 0 });
    const missing = await run(taskWith({ value: 'no-such-command-pando' }));
    expect(await missing.driver.ended).toEqual({ state: 'FAILED', message: 'exited with code 127 (command not found)', exitCode: 127 });
  });

  it('runs argv without a shell, arguments including argv[0]', async () => {
    const script = 'echo "$0 $1"; tr "\\0" " " < /proc/$$/cmdline';
    const { driver, sandbox } = await run(taskWith({ shell: false, value: '/bin/sh', arguments: ['my-argv0', '-c', script, 'zero', 'one'] }));
    expect((await driver.ended).state).toBe('FINISHED');
    expect(readFileSync(join(sandbox, 'stdout'), 'utf8')).toBe(`zero one\nmy-argv0 -c ${script} zero one `);
  });

  it('fails with REASON_COMMAND_EXECUTOR_FAILED when the program does not exist (no shell)', async () => {
    const { driver } = await run(taskWith({ shell: false, value: '/no/such/binary' }));
    const end = await driver.ended;
    expect(driver.states()).toEqual(['STARTING', 'FAILED']);
    expect(end.reason).toBe('REASON_COMMAND_EXECUTOR_FAILED');
    expect(end.message).toContain("failed to start '/no/such/binary'");
    expect(end.message).toContain('ENOENT');
  });

  it('reports FAILED with the signal name when something else kills the task', async () => {
    const { driver } = await run(taskWith({ value: 'kill -SEGV $$; sleep 5' }));
    expect(await driver.ended).toEqual({ state: 'FAILED', message: 'killed by signal SIGSEGV' });
  });

  it('kills the whole process group with SIGTERM and reports KILLED', async () => {
    const { driver, sandbox } = await run(taskWith({ value: 'sleep 30 & echo $! > child.pid; wait' }));
    await driver.waitFor('RUNNING');
    await waitForFile(join(sandbox, 'child.pid'));
    const childPid = Number(readFileSync(join(sandbox, 'child.pid'), 'utf8'));
    const started = Date.now();
    await executor.kill(`t${n}`, 5000);
    const end = await driver.ended;
    expect(end.state).toBe('KILLED');
    expect(Date.now() - started).toBeLessThan(2000);
    await waitUntil(() => !isAlive(childPid));
  });

  it('escalates to SIGKILL after the grace period when SIGTERM is ignored', async () => {
    const { driver, sandbox } = await run(taskWith({ value: "trap '' TERM; touch ready; while true; do sleep 0.1; done" }));
    await waitForFile(join(sandbox, 'ready'));
    const started = Date.now();
    await executor.kill(`t${n}`, 300);
    const end = await driver.ended;
    const took = Date.now() - started;
    expect(end).toEqual({ state: 'KILLED', message: 'killed: exited by SIGKILL', exitCode: undefined });
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(3000);
  });

  it('reports KILLED even when the task exits 0 on SIGTERM; kill is idempotent', async () => {
    const { driver, sandbox } = await run(taskWith({ value: "trap 'exit 0' TERM; touch ready; while true; do sleep 0.1; done" }));
    await waitForFile(join(sandbox, 'ready'));
    await executor.kill(`t${n}`, 5000);
    await executor.kill(`t${n}`, 5000);
    expect(await driver.ended).toEqual({ state: 'KILLED', message: 'killed: exited with code 0', exitCode: 0 });
    await executor.kill(`t${n}`, 5000);
    await executor.kill('never-launched', 5000);
    expect(driver.states()).toEqual(['STARTING', 'RUNNING', 'KILLED']);
  });

  it('kills what a finished task left behind in its process group', async () => {
    const { driver, sandbox } = await run(taskWith({ value: 'sleep 30 & echo $! > child.pid; exit 0' }));
    expect((await driver.ended).state).toBe('FINISHED');
    const childPid = Number(readFileSync(join(sandbox, 'child.pid'), 'utf8'));
    await waitUntil(() => !isAlive(childPid));
  });

  it('runs as another user when command.user is given, and fails clearly for an unknown user', async () => {
    const asNobody = await run(taskWith({ value: 'id -u; touch mine', user: 'nobody' }));
    const end = await asNobody.driver.ended;
    if (process.getuid?.() === 0) {
      expect(end.state).toBe('FINISHED');
      expect(readFileSync(join(asNobody.sandbox, 'stdout'), 'utf8')).toBe('65534\n');
      expect(existsSync(join(asNobody.sandbox, 'mine'))).toBe(true);
    } else {
      // Without root the agent cannot switch users: the failure must still be a clear FAILED.
      expect(end).toEqual(expect.objectContaining({ state: 'FAILED', reason: 'REASON_COMMAND_EXECUTOR_FAILED' }));
    }
    const unknown = await run(taskWith({ value: 'true', user: 'no-such-user-pando' }));
    expect(await unknown.driver.ended).toEqual({
      state: 'FAILED',
      reason: 'REASON_COMMAND_EXECUTOR_FAILED',
      message: "failed to start task: user 'no-such-user-pando' does not exist on this agent",
    });
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function waitForFile(path: string): Promise<void> {
  return waitUntil(() => existsSync(path) && readFileSync(path, 'utf8').length >= 0);
}
