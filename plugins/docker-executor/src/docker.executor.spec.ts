import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@pando/common';
import type { TaskInfo } from '@pando/protocol';
import type { ExecutorContext, RecoveredTask, TaskLaunch } from '@pando/sdk';
import { freePort, repoRoot, waitFor } from '@pando/testing';
import { DockerEngineAdapter } from './docker-engine.adapter';
import { DEFAULT_DOCKER_SOCKET } from './docker-executor.options';
import { dockerExecutorPlugin } from './docker-executor.plugin';
import type { DockerExecutor } from './docker.executor';
import { dockerTaskInfo, launchOf, RecordingDriver, type TaskResources } from './testing/docker-task.fixtures';
import { UnixSocketProxy } from './testing/unix-socket.proxy';

/**
 * Against the real Docker engine (started by scripts/docker-engine.sh when it is not running)
 * and the local pando/busybox image (scripts/build-test-images.sh). Nothing is pulled except to
 * prove that a pull fails. Every container carries pando.test-run=<runId> and is removed after.
 */
jest.setTimeout(60_000);

const runId = `${process.pid}-${Date.now().toString(36)}`;
const IMAGE = 'pando/busybox:latest';
const workDir = mkdtempSync(join(tmpdir(), 'pando-docker-test-'));
const engine = new DockerEngineAdapter(DEFAULT_DOCKER_SOCKET);
const executors: DockerExecutor[] = [];
const timings: number[] = [];
let taskCounter = 0;

function runScript(name: string): void {
  try {
    execFileSync('bash', [join(repoRoot(), 'scripts', name)], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err);
    throw new Error(`scripts/${name} failed, so these tests have no Docker engine or test image to run against:\n${stderr}`);
  }
}

async function newExecutor(agentId = `agent-${runId}`, options: Record<string, string> = {}): Promise<DockerExecutor> {
  const log = createLogger('docker-executor-test', { agentId });
  log.level = process.env.PANDO_LOG_LEVEL ?? 'error';
  const context: ExecutorContext = { agentId, hostname: 'localhost', workDir, log, options };
  const executor = (await dockerExecutorPlugin.create(context)) as DockerExecutor;
  executors.push(executor);
  return executor;
}

interface TaskOptions {
  command?: string;
  res?: TaskResources;
  docker?: Record<string, unknown>;
  container?: Record<string, unknown>;
}

function task(name: string, opts: TaskOptions = {}): TaskInfo {
  const taskId = `dt-${runId}-${++taskCounter}-${name}`;
  return dockerTaskInfo(taskId, {
    res: opts.res ?? { cpus: 0.5, mem: 64 },
    ...(opts.command !== undefined ? { command: { value: opts.command, shell: true } } : {}),
    container: opts.container ?? {
      type: 'DOCKER',
      docker: { image: IMAGE, pullPolicy: 'never', labels: { 'pando.test-run': runId }, ...opts.docker },
    },
  });
}

function launchFor(info: TaskInfo, ports: number[] = []): TaskLaunch {
  const sandbox = join(workDir, 'sandboxes', info.taskId);
  mkdirSync(sandbox, { recursive: true });
  return launchOf(info, sandbox, ports);
}

async function launched(executor: DockerExecutor, launch: TaskLaunch): Promise<RecordingDriver> {
  const driver = new RecordingDriver();
  await executor.launch(launch, driver);
  const starting = driver.updates.find((u) => u.state === 'STARTING');
  const running = driver.updates.find((u) => u.state === 'RUNNING');
  if (starting && running) timings.push(running.at - starting.at);
  return driver;
}

const terminal = (driver: RecordingDriver, timeoutMs = 30_000) => waitFor(() => driver.terminal(), 'a terminal update', timeoutMs);
const sandboxFile = (launch: TaskLaunch, name: 'stdout' | 'stderr') => readFileSync(join(launch.sandboxDir, name), 'utf8');
const containersOf = (taskId: string) => engine.listContainers({ 'pando.task-id': taskId });

beforeAll(() => {
  runScript('docker-engine.sh');
  runScript('build-test-images.sh');
});

afterAll(async () => {
  await Promise.all(executors.map((e) => e.shutdown()));
  for (const container of await engine.listContainers({ 'pando.test-run': runId })) await engine.removeContainer(container.id);
  rmSync(workDir, { recursive: true, force: true });
  if (timings.length > 0) {
    const sorted = [...timings].sort((a, b) => a - b);
    console.info(`create+start (STARTING -> RUNNING) over ${sorted.length} containers: median ${sorted[sorted.length >> 1]} ms, max ${sorted.at(-1)} ms`);
  }
});

describe('DockerExecutor against the real engine', () => {
  let executor: DockerExecutor;
  beforeAll(async () => {
    executor = await newExecutor();
  });

  it('probes the engine, and reports an unusable socket without throwing', async () => {
    await expect(executor.probe()).resolves.toEqual({ available: true });
    const broken = await newExecutor(`agent-${runId}-nosock`, { 'docker-socket': join(workDir, 'no-such.sock') });
    const started = Date.now();
    const result = await broken.probe();
    expect(result.available).toBe(false);
    expect(result.message).toMatch(/no-such\.sock/);
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('serves busybox httpd on the mapped host port, then kills it within the grace period', async () => {
    const hostPort = await freePort();
    const info = task('httpd', {
      res: { cpus: 0.5, mem: 32, ports: [hostPort] },
      command: 'mkdir -p /www && echo hello-from-pando > /www/index.html && exec httpd -f -p 8080 -h /www',
      docker: { portMappings: [{ containerPort: 8080, hostPort: 0 }] },
    });
    const driver = await launched(executor, launchFor(info, [hostPort]));
    expect(driver.states()).toEqual(['STARTING', 'RUNNING']);
    const body = await waitFor(async () => (await fetch(`http://127.0.0.1:${hostPort}/`)).text(), 'httpd to answer');
    expect(body.trim()).toBe('hello-from-pando');

    const started = Date.now();
    await executor.kill(info.taskId, 1_000);
    expect(driver.terminal()?.state).toBe('KILLED');
    // httpd as PID 1 ignores SIGTERM: docker stop sends SIGKILL once the 1 s grace is over.
    expect(Date.now() - started).toBeLessThan(5_000);
    await executor.kill(info.taskId, 1_000);
    expect(driver.states()).toEqual(['STARTING', 'RUNNING', 'KILLED']);
    await waitFor(async () => (await containersOf(info.taskId)).length === 0, 'the container to be removed');
  });

  it('ends a task that handles SIGTERM well before a long grace period', async () => {
    const info = task('graceful', { command: "trap 'echo got-term; exit 0' TERM; while true; do sleep 0.1; done" });
    const launch = launchFor(info);
    const driver = await launched(executor, launch);
    const started = Date.now();
    await executor.kill(info.taskId, 30_000);
    expect(driver.terminal()?.state).toBe('KILLED');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(sandboxFile(launch, 'stdout')).toContain('got-term');
  });

  it('applies the memory and CPU limits and streams stdout and stderr into the sandbox', async () => {
    const info = task('limits', {
      res: { cpus: 0.5, mem: 32 },
      command: [
        'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes',
        'cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)',
        'echo task=$PANDO_TASK_ID',
        'echo to-stderr >&2',
      ].join('; '),
    });
    const launch = launchFor(info);
    const driver = await launched(executor, launch);
    const end = await terminal(driver);
    expect(end).toMatchObject({ state: 'FINISHED', fields: { exitCode: 0 } });
    const stdout = sandboxFile(launch, 'stdout').split('\n');
    expect(stdout[0]).toBe(String(32 * 1024 * 1024));
    expect(stdout[1]).toBe('50000 100000');
    expect(stdout[2]).toBe(`task=${info.taskId}`);
    expect(sandboxFile(launch, 'stderr')).toBe('to-stderr\n');
    await waitFor(async () => (await containersOf(info.taskId)).length === 0, 'the container to be removed');
  });

  it('reports a container killed for exceeding its memory as FAILED with the memory reason', async () => {
    const info = task('oom', { res: { cpus: 0.5, mem: 16 }, command: 'head -c 100m /dev/zero | tail' });
    const driver = await launched(executor, launchFor(info));
    const end = await terminal(driver);
    expect(end.state).toBe('FAILED');
    expect(end.fields.reason).toBe('REASON_CONTAINER_LIMITATION_MEMORY');
    expect(end.fields.message).toMatch(/OOM/);
  });

  it('reports a non-zero exit as FAILED with its code', async () => {
    const info = task('exit3', { command: 'exit 3' });
    const driver = await launched(executor, launchFor(info));
    expect(await terminal(driver)).toMatchObject({ state: 'FAILED', fields: { message: 'exited with code 3', exitCode: 3 } });
  });

  it('fails cleanly when the image is missing and may not be pulled, or cannot be pulled', async () => {
    const never = task('never', { docker: { image: 'pando/no-such-image:1', pullPolicy: 'never' } });
    const neverDriver = await launched(executor, launchFor(never));
    expect(neverDriver.states()).toEqual(['STARTING', 'FAILED']);
    expect(neverDriver.last()?.fields).toMatchObject({ reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: expect.stringMatching(/not present.*'never'/) });

    // No registry is reachable here: this is the one pull the tests make, to prove it fails.
    const unreachable = task('pull', { docker: { image: '127.0.0.1:5999/pando/absent:1', pullPolicy: 'always' } });
    const started = Date.now();
    const pullDriver = await launched(executor, launchFor(unreachable));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(pullDriver.states()).toEqual(['STARTING', 'FAILED']);
    expect(pullDriver.last()?.fields).toMatchObject({
      reason: 'REASON_CONTAINER_LAUNCH_FAILED',
      message: expect.stringMatching(/failed to pull image '127\.0\.0\.1:5999\/pando\/absent:1': .*(connection refused|5999)/),
    });
    expect(await containersOf(never.taskId)).toEqual([]);
    expect(await containersOf(unreachable.taskId)).toEqual([]);
  });

  it('reports a launch the engine refuses as FAILED and leaves no container behind', async () => {
    const hostPort = await freePort();
    const blocker = task('blocker', { res: { cpus: 0.1, mem: 16, ports: [hostPort] }, command: 'exec sleep 600', docker: { portMappings: [{ containerPort: 80, hostPort }] } });
    const blockerDriver = await launched(executor, launchFor(blocker, [hostPort]));
    expect(blockerDriver.last()?.state).toBe('RUNNING');
    const second = task('same-port', { res: { cpus: 0.1, mem: 16, ports: [hostPort] }, command: 'exec sleep 600', docker: { portMappings: [{ containerPort: 80, hostPort }] } });
    const driver = await launched(executor, launchFor(second, [hostPort]));
    expect(driver.last()).toMatchObject({ state: 'FAILED', fields: { reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: expect.stringMatching(/failed to start container/) } });
    expect(await containersOf(second.taskId)).toEqual([]);
    await executor.kill(blocker.taskId, 0);
    expect(blockerDriver.terminal()?.state).toBe('KILLED');
  });

  it('validates a task listing several problems at once', () => {
    const info = task('invalid', {
      res: { cpus: 0.5, mem: 64, ports: [31000] },
      docker: { image: 'Bad Image', privileged: true, portMappings: [{ containerPort: 80, hostPort: 31001 }, { containerPort: 80, hostPort: 0 }] },
    });
    const problems = executor.validate(info);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/not a valid image reference/),
        expect.stringMatching(/privileged containers are not allowed/),
        expect.stringMatching(/host port 31001 is not among the task's ports/),
        expect.stringMatching(/mapped twice/),
        expect.stringMatching(/2 port mappings need as many host ports/),
      ]),
    );
  });

  it('runs a command inside a running task (execInTask, for COMMAND health checks)', async () => {
    const info = task('exec', { command: 'touch /ready; exec sleep 60' });
    const driver = await launched(executor, launchFor(info));
    expect(driver.states()).toEqual(['STARTING', 'RUNNING']);
    const ok = await waitFor(async () => {
      const result = await executor.execInTask(info.taskId, 'test -f /ready && echo inside-$PANDO_TASK_ID', 5_000);
      return result.exitCode === 0 ? result : undefined;
    }, 'the exec to pass');
    expect(ok.output.trim()).toBe(`inside-${info.taskId}`);
    await expect(executor.execInTask(info.taskId, 'exit 3', 5_000)).resolves.toMatchObject({ exitCode: 3 });
    await expect(executor.execInTask(info.taskId, 'sleep 5', 300)).rejects.toThrow(/did not end within 300 ms/);
    await expect(executor.execInTask('no-such-task', 'true', 1_000)).rejects.toThrow(/no running container/);
    await executor.kill(info.taskId, 0);
    expect(driver.terminal()?.state).toBe('KILLED');
  });

  it('ignores a kill of a task it does not know', async () => {
    await expect(executor.kill(`dt-${runId}-unknown`, 1_000)).resolves.toBeUndefined();
  });
});

describe('DockerExecutor recovery after an agent restart', () => {
  it('re-attaches a running container, reports RUNNING and can kill it', async () => {
    const agentId = `agent-${runId}-recover`;
    const before = await newExecutor(agentId);
    const info = task('recover-running', { command: "trap 'exit 0' TERM; while true; do echo tick; sleep 0.2; done" });
    const launch = launchFor(info);
    const firstDriver = await launched(before, launch);
    expect(firstDriver.last()?.state).toBe('RUNNING');
    await before.shutdown();
    expect(firstDriver.terminal()).toBeUndefined();

    const after = await newExecutor(agentId);
    const driver = new RecordingDriver();
    await after.recover([{ launch, lastState: 'RUNNING' }], () => driver);
    expect(driver.states()).toEqual(['RUNNING']);
    const lengthAtRecovery = sandboxFile(launch, 'stdout').length;
    await waitFor(() => sandboxFile(launch, 'stdout').length > lengthAtRecovery + 10, 'output streamed after re-attaching');
    await after.kill(info.taskId, 5_000);
    expect(driver.states()).toEqual(['RUNNING', 'KILLED']);
    await waitFor(async () => (await containersOf(info.taskId)).length === 0, 'the container to be removed');
  });

  it('reports the real outcome of containers that ended while the agent was down, and of missing ones', async () => {
    const agentId = `agent-${runId}-ended`;
    const before = await newExecutor(agentId);
    const exited = task('recover-exited', { command: 'sleep 0.5; exit 4' });
    const exitedLaunch = launchFor(exited);
    await launched(before, exitedLaunch);
    await before.shutdown();
    const [container] = await containersOf(exited.taskId);
    await waitFor(async () => (await engine.inspectContainer(container!.id))?.running === false, 'the container to exit');

    const after = await newExecutor(agentId);
    const drivers = new Map<string, RecordingDriver>();
    const driverFor = (taskId: string) => drivers.get(taskId) ?? drivers.set(taskId, new RecordingDriver()).get(taskId)!;
    const missing = task('recover-missing', { command: 'true' });
    const recovered: RecoveredTask[] = [
      { launch: exitedLaunch, lastState: 'RUNNING' },
      { launch: launchFor(missing), lastState: 'RUNNING' },
    ];
    await after.recover(recovered, driverFor);
    expect(driverFor(exited.taskId).updates).toEqual([
      expect.objectContaining({ state: 'FAILED', fields: { message: 'exited with code 4', exitCode: 4 } }),
    ]);
    expect(driverFor(missing.taskId).last()).toMatchObject({ state: 'FAILED', fields: { reason: 'REASON_EXECUTOR_TERMINATED' } });
    expect(await containersOf(exited.taskId)).toEqual([]);
  });

  it('stops and removes a labelled container that no recovered task claims', async () => {
    const agentId = `agent-${runId}-orphan`;
    const before = await newExecutor(agentId);
    const orphan = task('orphan', { command: 'exec sleep 600', docker: { stopGracePeriodMs: 500 } });
    await launched(before, launchFor(orphan));
    await before.shutdown();
    expect(await containersOf(orphan.taskId)).toEqual([expect.objectContaining({ running: true })]);

    const after = await newExecutor(agentId);
    await after.recover([], () => new RecordingDriver());
    await waitFor(async () => (await containersOf(orphan.taskId)).length === 0, 'the unclaimed container to be stopped and removed', 15_000);
  });
});

describe('DockerExecutor while the engine is unreachable', () => {
  it('does not fail running tasks blindly, and reports the real outcome when the engine answers again', async () => {
    const proxy = new UnixSocketProxy(join(workDir, 'docker-proxy.sock'), DEFAULT_DOCKER_SOCKET);
    await proxy.start();
    try {
      const executor = await newExecutor(`agent-${runId}-outage`, { 'docker-socket': proxy.path });
      const info = task('outage', { command: 'echo before; sleep 2; echo after; exit 3' });
      const launch = launchFor(info);
      const driver = await launched(executor, launch);
      expect(driver.last()?.state).toBe('RUNNING');

      await proxy.cut();
      await expect(executor.probe()).resolves.toMatchObject({ available: false });
      const [container] = await containersOf(info.taskId);
      await waitFor(async () => (await engine.inspectContainer(container!.id))?.running === false, 'the container to exit during the outage');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(driver.states()).toEqual(['STARTING', 'RUNNING']);

      await proxy.start();
      const end = await terminal(driver, 15_000);
      expect(end).toMatchObject({ state: 'FAILED', fields: { message: 'exited with code 3', exitCode: 3 } });
      expect(sandboxFile(launch, 'stdout')).toMatch(/before\n(.|\n)*after\n/);
      await waitFor(async () => (await containersOf(info.taskId)).length === 0, 'the container to be removed');
    } finally {
      await proxy.cut();
    }
  });

  it('recovers after an agent restart once the engine answers, carrying out a kill asked for meanwhile', async () => {
    const proxy = new UnixSocketProxy(join(workDir, 'docker-proxy-2.sock'), DEFAULT_DOCKER_SOCKET);
    await proxy.start();
    try {
      const agentId = `agent-${runId}-deferred`;
      const options = { 'docker-socket': proxy.path };
      const before = await newExecutor(agentId, options);
      const keep = task('deferred-keep', { command: 'exec sleep 600', docker: { stopGracePeriodMs: 0 } });
      const doomed = task('deferred-kill', { command: 'exec sleep 600', docker: { stopGracePeriodMs: 0 } });
      const launches = [launchFor(keep), launchFor(doomed)];
      for (const launch of launches) await launched(before, launch);
      await before.shutdown();
      await proxy.cut();

      const after = await newExecutor(agentId, options);
      const drivers = new Map([keep, doomed].map((t) => [t.taskId, new RecordingDriver()]));
      await after.recover(launches.map((launch) => ({ launch, lastState: 'RUNNING' })), (taskId) => drivers.get(taskId)!);
      await after.kill(doomed.taskId, 0);
      expect([...drivers.values()].map((d) => d.updates)).toEqual([[], []]);

      await proxy.start();
      await waitFor(() => drivers.get(keep.taskId)!.last()?.state === 'RUNNING', 'the running task to be re-attached', 15_000);
      expect(await terminal(drivers.get(doomed.taskId)!, 15_000)).toMatchObject({ state: 'KILLED' });
      expect(drivers.get(doomed.taskId)!.states()).toEqual(['KILLED']);
      await after.kill(keep.taskId, 0);
      expect(drivers.get(keep.taskId)!.states()).toEqual(['RUNNING', 'KILLED']);
    } finally {
      await proxy.cut();
    }
  });
});
