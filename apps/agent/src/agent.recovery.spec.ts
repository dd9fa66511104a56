process.env.PANDO_LOG_LEVEL ??= 'warn';

import 'reflect-metadata';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resources } from '@pando/resources';
import type { HealthCheckInput, TaskInfo } from '@pando/protocol';
import { freePort, killProcessesUnder, startNatsServer, waitFor, type RunningNats } from '@pando/testing';
import { startAgent, type RunningAgent } from './agent.bootstrap';
import type { AgentConfig } from './agent.options';
import type { AgentStateJson } from './http/state.controller';
import { FakeMaster } from './testing/fake-master.fixture';

jest.setTimeout(40_000);

/** Processes whose command line contains `marker` (to count a task's processes). */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').includes(marker)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The agent restarted on the same work dir: checkpoint, recovery, identity, health checks. */
describe('agent restarts and health checks', () => {
  let nats: RunningNats;
  let master: FakeMaster;
  let workDir: string;
  let agent: RunningAgent | undefined;

  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(async () => {
    await nats.stop();
  });
  beforeEach(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'pando-agent-recovery-'));
    master = await FakeMaster.start(nats.url);
  });
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    await master.stop();
    killProcessesUnder(workDir);
    rmSync(workDir, { recursive: true, force: true });
  });

  function config(extra: Partial<AgentConfig> = {}): AgentConfig {
    return {
      http: { host: '127.0.0.1', port: 0 },
      workDir,
      resources: Resources.parse('cpus:2;mem:1024;ports:[31000-32000]'),
      attributes: {},
      hostname: 'agent-host',
      advertiseHost: '127.0.0.1',
      executors: ['command'],
      executorOptions: {},
      killGraceMs: 2000,
      nats: { servers: [nats.url] },
      ...extra,
    };
  }

  async function start(extra: Partial<AgentConfig> = {}): Promise<RunningAgent> {
    agent = await startAgent(config(extra), { exit: () => undefined });
    return agent;
  }

  async function restart(extra: Partial<AgentConfig> = {}): Promise<RunningAgent> {
    await agent!.stop();
    agent = undefined;
    return start(extra);
  }

  /** Registered from the agent's side: it listens on its inbox (the master's log is not enough). */
  async function registered(count: number): Promise<void> {
    await waitFor(() => master.registrations.length === count, `registration ${count}`, 5000, 20);
    await waitFor(async () => ((await fetch(`http://127.0.0.1:${agent!.httpPort}/health`)).json() as Promise<{ registered: boolean }>).then((h) => h.registered), 'registered', 5000, 20);
  }

  async function state(): Promise<AgentStateJson> {
    return (await fetch(`http://127.0.0.1:${agent!.httpPort}/state`)).json() as Promise<AgentStateJson>;
  }

  function task(taskId: string, value: string, extra: Partial<TaskInfo> = {}): TaskInfo {
    return {
      taskId,
      name: taskId,
      frameworkId: 'fw',
      agentId: 'agent-1',
      executor: 'command',
      resources: Resources.parse('cpus:0.5;mem:32').toJson(),
      command: { value, shell: true },
      ...extra,
    };
  }

  async function launch(t: TaskInfo): Promise<void> {
    master.launch('agent-1', { epoch: 1, frameworkId: 'fw', tasks: [t] });
    await waitFor(() => master.statesOf(t.taskId).includes('RUNNING'), `${t.taskId} RUNNING`, 10_000, 20);
  }

  it('keeps its id and re-attaches a running task without starting it again; one that ended meanwhile is reported', async () => {
    await start();
    await registered(1);
    await launch(task('sleeper', 'exec sleep 424242'));
    await launch(task('short', 'sleep 1; exit 5'));
    const before = processesWith('sleep 424242');
    expect(before).toHaveLength(1);
    await agent!.stop();
    agent = undefined;
    // 'short' ends while no agent runs.
    await new Promise((r) => setTimeout(r, 1500));
    await start();
    await registered(2);
    const registration = master.registrations[1]!;
    expect(registration.agentId).toBe('agent-1');
    expect(registration.tasks.map((r) => [r.task.taskId, r.status.state]).sort()).toEqual([
      ['short', 'FAILED'],
      ['sleeper', 'RUNNING'],
    ]);
    await waitFor(() => master.statesOf('short').includes('FAILED'), 'short FAILED', 5000, 20);
    expect(master.statuses.find((s) => s.status.taskId === 'short' && s.status.state === 'FAILED')!.status).toMatchObject({ exitCode: 5, message: 'exited with code 5' });
    expect(processesWith('sleep 424242')).toEqual(before);
    expect((await state()).tasks.map((t) => [t.id, t.state])).toEqual([['sleeper', 'TASK_RUNNING']]);
    master.kill('agent-1', { epoch: 1, frameworkId: 'fw', taskId: 'sleeper', gracePeriodMs: 1000 });
    await waitFor(() => master.statesOf('sleeper').includes('KILLED'), 'sleeper KILLED', 5000, 20);
    await waitFor(() => processesWith('sleep 424242').length === 0, 'no sleeper process', 5000, 20);
  });

  it('re-sends the updates the master had not acknowledged, with their uuids', async () => {
    master.ackPolicy = () => false;
    await start();
    await registered(1);
    master.launch('agent-1', { epoch: 1, frameworkId: 'fw', tasks: [task('quick', 'exit 0')] });
    // STARTING is in flight and never acknowledged; RUNNING and FINISHED wait behind it.
    await waitFor(() => master.statesOf('quick').includes('STARTING'), 'STARTING sent', 5000, 20);
    await waitFor(async () => (await state()).pending_status_updates === 3, 'three pending updates', 5000, 20);
    const uuids = new Set(master.statuses.map((s) => s.status.uuid));
    master.ackPolicy = () => true;
    const before = master.statuses.length;
    await restart();
    await waitFor(() => master.statesOf('quick').includes('FINISHED'), 'FINISHED after restart', 10_000, 20);
    const resent = master.statuses.slice(before).map((s) => s.status);
    expect(resent[0]).toMatchObject({ state: 'STARTING' });
    expect(uuids.has(resent[0]!.uuid)).toBe(true);
    await waitFor(async () => (await state()).pending_status_updates === 0, 'all acknowledged', 5000, 20);
    expect((await state()).completed_tasks.map((t) => [t.id, t.state])).toEqual([['quick', 'TASK_FINISHED']]);
  });

  it('registers as a new agent when its resources no longer hold its tasks, killing and reporting them under the old id', async () => {
    await start();
    await registered(1);
    await launch(task('big', 'exec sleep 434343', { resources: Resources.parse('cpus:1.5;mem:32').toJson() }));
    await restart({ resources: Resources.parse('cpus:1;mem:1024;ports:[31000-32000]') });
    await waitFor(() => master.registrations.length === 2, 'registration as new', 5000, 20);
    expect(master.registrations[1]).toMatchObject({ tasks: [] });
    expect(master.registrations[1]!.agentId).toBeUndefined();
    await waitFor(() => master.statesOf('big').includes('KILLED'), 'big KILLED', 10_000, 20);
    const killed = master.statuses.find((s) => s.status.taskId === 'big' && s.status.state === 'KILLED')!;
    expect(killed.agentId).toBe('agent-1');
    expect(killed.status).toMatchObject({ agentId: 'agent-1', reason: 'REASON_AGENT_RESTARTED' });
    expect(killed.status.message).toContain('incompatible configuration');
    const now = await state();
    expect(now.id).toBe('agent-2');
    await waitFor(async () => (await state()).pending_status_updates === 0, 'old updates acknowledged under the old id', 5000, 20);
    expect(processesWith('sleep 434343')).toEqual([]);
    expect(JSON.parse(readFileSync(join(workDir, 'agent.json'), 'utf8')).agentId).toBe('agent-2');
  });

  it('runs an HTTP health check next to a command task and reports it healthy', async () => {
    await start();
    await registered(1);
    const port = await freePort();
    const healthCheck: HealthCheckInput = { type: 'HTTP', http: { portIndex: 0, path: '/' }, delaySeconds: 0, intervalSeconds: 0.5, gracePeriodSeconds: 30 };
    await launch(
      task('web', 'exec python3 -m http.server $PORT0 --bind 127.0.0.1', {
        resources: Resources.parse(`cpus:0.5;mem:32;ports:[${port}-${port}]`).toJson(),
        healthCheck,
      }),
    );
    await waitFor(() => master.statuses.some((s) => s.status.taskId === 'web' && s.status.healthy === true), 'healthy', 15_000, 50);
    const healthy = master.statuses.find((s) => s.status.taskId === 'web' && s.status.healthy === true)!.status;
    expect(healthy).toMatchObject({ state: 'RUNNING', reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED' });
    expect(healthy.message).toContain(`GET http://127.0.0.1:${port}/ answered 200`);
  });

  it('kills a task whose COMMAND health check keeps failing, with REASON_HEALTH_CHECK_FAILED', async () => {
    await start();
    await registered(1);
    const healthCheck: HealthCheckInput = { type: 'COMMAND', command: { value: 'test -f healthy' }, delaySeconds: 0, intervalSeconds: 0.2, gracePeriodSeconds: 5, maxConsecutiveFailures: 3 };
    await launch(task('sick', 'touch healthy; sleep 1; rm healthy; exec sleep 60', { healthCheck }));
    await waitFor(() => master.statesOf('sick').includes('KILLED'), 'KILLED', 15_000, 20);
    const sick = master.statuses.filter((s) => s.status.taskId === 'sick').map((s) => s.status);
    const verdicts = sick.filter((s) => s.healthy !== undefined && s.state === 'RUNNING').map((s) => s.healthy);
    expect(verdicts).toEqual([true, false]);
    expect(sick.at(-1)).toMatchObject({ state: 'KILLED', reason: 'REASON_HEALTH_CHECK_FAILED', healthy: false });
    expect(sick.at(-1)!.message).toMatch(/^killed: failed 3 consecutive health checks \(last: command check exited with code 1\)/);
    expect(existsSync(join(workDir, 'sandboxes', 'fw', 'sick', 'exit-status.json'))).toBe(true);
  });
});
