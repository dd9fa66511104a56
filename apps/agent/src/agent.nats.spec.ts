process.env.PANDO_LOG_LEVEL ??= 'warn';

import 'reflect-metadata';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resources } from '@pando/resources';
import { PROTOCOL_VERSION, Subjects, type TaskInfo } from '@pando/protocol';
import { startAgent, type RunningAgent } from './agent.bootstrap';
import type { AgentConfig } from './agent.options';
import type { AgentStateJson } from './http/state.controller';
import { killProcessesUnder, startNatsServer, waitFor, type RunningNats } from '@pando/testing';
import { FakeMaster } from './testing/fake-master.fixture';

jest.setTimeout(30_000);

/** The agent against a real nats-server and a scripted master. */
describe('agent with NATS', () => {
  let nats: RunningNats;
  let master: FakeMaster;
  let workDir: string;
  let agent: RunningAgent | undefined;
  let exits: Array<{ code: number; reason: string }>;

  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(async () => {
    await nats.stop();
  });

  beforeEach(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'pando-agent-'));
    exits = [];
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
      resources: Resources.parse('cpus:2;mem:1024'),
      attributes: { rack: 'r1', level: 3 },
      hostname: 'agent-host',
      advertiseHost: '127.0.0.1',
      executors: ['command'],
      executorOptions: {},
      killGraceMs: 5000,
      nats: { servers: [nats.url] },
      ...extra,
    };
  }

  async function start(extra: Partial<AgentConfig> = {}): Promise<RunningAgent> {
    agent = await startAgent(config(extra), { exit: (code, reason) => exits.push({ code, reason }) });
    return agent;
  }

  async function http<T>(path: string): Promise<T> {
    const res = await fetch(`http://127.0.0.1:${agent!.httpPort}${path}`);
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  }

  function task(agentId: string, taskId: string, value: string): TaskInfo {
    return {
      taskId,
      name: taskId,
      frameworkId: 'fw',
      agentId,
      executor: 'command',
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } }],
      command: { value, shell: true },
    };
  }

  it('registers, checkpoints its id, heartbeats and reports health', async () => {
    const { httpPort } = await start();
    await waitFor(() => master.registrations.length === 1, 'registration', 5000, 20);
    const req = master.registrations[0];
    expect(req).toEqual({
      protocolVersion: PROTOCOL_VERSION,
      hostname: 'agent-host',
      httpPort,
      resources: expect.any(Array),
      attributes: { rack: 'r1', level: 3 },
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      executors: ['command'],
      tasks: [],
    });
    expect(Resources.fromJson(req.resources).scalar('cpus')).toBe(2);
    expect(Resources.fromJson(req.resources).ranges('ports')).toEqual([[31000, 32000]]);
    await waitFor(() => existsSync(join(workDir, 'agent.json')), 'checkpoint', 5000, 20);
    expect(JSON.parse(readFileSync(join(workDir, 'agent.json'), 'utf8'))).toEqual({ agentId: 'agent-1', hostname: 'agent-host', resources: expect.any(Array) });
    await waitFor(() => master.heartbeats.length >= 2, 'heartbeats', 5000, 20);
    expect(master.heartbeats[0]).toEqual({ agentId: 'agent-1', epoch: 1 });
    expect(await http('/health')).toEqual({ status: 'ok', agentId: 'agent-1', registered: true, masterEpoch: 1 });
  });

  it('retries registration with backoff until a master answers', async () => {
    await master.stop();
    const started = Date.now();
    await start();
    expect(await http('/health')).toEqual({ status: 'ok', agentId: null, registered: false, masterEpoch: null });
    await new Promise((r) => setTimeout(r, 1000));
    master = await FakeMaster.start(nats.url);
    await waitFor(() => master.registrations.length === 1, 'registration', 5000, 20);
    // 250 + 500 + 1000 ms of backoff have passed by then at most a 2 s pause follows.
    expect(Date.now() - started).toBeLessThan(4500);
  });

  it('exits 1 when the master refuses the registration as invalid', async () => {
    master.registerReply = () => ({ ok: false, error: { code: 'INPUT', message: 'protocol version 1 is not supported' } });
    await start();
    await waitFor(() => exits.length === 1, 'exit', 5000, 20);
    expect(exits[0].code).toBe(1);
    expect(exits[0].reason).toContain('protocol version 1 is not supported');
  });

  it('keeps its id across a restart', async () => {
    await start();
    await waitFor(() => master.registrations.length === 1 && existsSync(join(workDir, 'agent.json')), 'registration', 5000, 20);
    await agent!.stop();
    await start();
    await waitFor(() => master.registrations.length === 2, 'second registration', 5000, 20);
    expect(master.registrations[1].agentId).toBe('agent-1');
  });

  it('runs tasks, re-sends unacknowledged updates until acked, and shows them in /state', async () => {
    master.ackPolicy = (_status, delivery) => delivery >= 2;
    await start();
    await waitFor(() => master.registrations.length === 1, 'registration', 5000, 20);
    master.launch('agent-1', { epoch: 1, frameworkId: 'fw', tasks: [task('agent-1', 'echo', 'echo hi; exit 3'), task('agent-1', 'sleeper', 'sleep 30')] });
    await waitFor(() => master.statesOf('echo').includes('FAILED') && master.statesOf('sleeper').includes('RUNNING'), 'updates', 10_000, 20);
    // Every update went out twice with the same uuid, in order.
    expect(master.statesOf('echo')).toEqual(['STARTING', 'STARTING', 'RUNNING', 'RUNNING', 'FAILED', 'FAILED'].slice(0, master.statesOf('echo').length));
    const failed = master.statuses.filter((s) => s.status.taskId === 'echo' && s.status.state === 'FAILED');
    expect(failed[0].status).toEqual(expect.objectContaining({ exitCode: 3, message: 'exited with code 3', agentId: 'agent-1', frameworkId: 'fw', source: 'SOURCE_EXECUTOR' }));
    expect(readFileSync(join(workDir, 'sandboxes', 'fw', 'echo', 'stdout'), 'utf8')).toBe('hi\n');

    await waitFor(() => master.statesOf('echo').length === 6, 'FAILED acknowledged', 5000, 20);
    const state = await http<AgentStateJson>('/state');
    expect(state).toEqual({
      id: 'agent-1',
      hostname: 'agent-host',
      version: expect.any(String),
      resources: { cpus: 2, mem: 1024, disk: expect.any(Number), gpus: 0, ports: '[31000-32000]' },
      used_resources: { cpus: 0.5, mem: 0, disk: 0, gpus: 0 },
      attributes: { rack: 'r1', level: 3 },
      executors: ['command'],
      unavailable_executors: [],
      master: { registered: true, epoch: 1, masterId: 'fake-master' },
      tasks: [
        {
          id: 'sleeper',
          name: 'sleeper',
          framework_id: 'fw',
          state: 'TASK_RUNNING',
          resources: { cpus: 0.5, mem: 0, disk: 0, gpus: 0 },
          sandbox: join(workDir, 'sandboxes', 'fw', 'sleeper'),
          executor: 'command',
        },
      ],
      completed_tasks: [expect.objectContaining({ id: 'echo', state: 'TASK_FAILED' })],
      pending_status_updates: expect.any(Number),
    });

    const killedAt = Date.now();
    master.kill('agent-1', { epoch: 1, frameworkId: 'fw', taskId: 'sleeper', gracePeriodMs: 2000 });
    await waitFor(() => master.statesOf('sleeper').includes('KILLED'), 'KILLED', 5000, 20);
    expect(Date.now() - killedAt).toBeLessThan(2000);
  });

  it('takes launch groups and acknowledgements in batches, each as if it had come alone', async () => {
    master.ackPolicy = () => false;
    await start();
    await waitFor(() => master.registrations.length === 1, 'registration', 5000, 20);
    const bad = { ...task('agent-1', 'elsewhere', 'sleep 30'), agentId: 'agent-2' };
    master.launch('agent-1', { epoch: 1, frameworkId: 'fw', groups: [[task('agent-1', 'one', 'sleep 30')], [task('agent-1', 'two', 'sleep 30'), bad]] });
    await waitFor(() => master.statesOf('one').includes('STARTING') && master.statesOf('two').includes('ERROR') && master.statesOf('elsewhere').includes('ERROR'), 'first updates', 10_000, 20);
    // The second group was refused whole; the first runs. Nothing is acknowledged yet: only heads
    // went out (re-sent, unchanged, if the machine is slow enough for the first retry to come).
    expect([...new Set(master.statesOf('one'))]).toEqual(['STARTING']);
    expect(new Set(master.statuses.filter((s) => s.status.taskId === 'one').map((s) => s.status.uuid)).size).toBe(1);
    const heads = new Map(master.statuses.map((s) => [s.status.taskId, s.status.uuid]));
    expect([...heads.keys()].sort()).toEqual(['elsewhere', 'one', 'two']);
    master.publishRaw(Subjects.agentStatusAck('agent-1'), JSON.stringify({ epoch: 1, acks: [...heads].map(([taskId, uuid]) => ({ taskId, uuid })) }));
    // Every head was acknowledged by the one message: the next update of 'one' goes out, the refused tasks are done.
    await waitFor(() => master.statesOf('one').includes('RUNNING'), 'the next update of one', 5000, 20);
    await waitFor(async () => (await http<AgentStateJson>('/state')).pending_status_updates === 1, 'only the RUNNING of one in flight', 5000, 20);
  });

  it('drops malformed and stale messages without changing anything', async () => {
    master.epoch = 5;
    await start();
    await waitFor(() => master.registrations.length === 1, 'registration', 5000, 20);
    const before = await http<AgentStateJson>('/state');
    master.publishRaw(Subjects.agentLaunch('agent-1'), '{not json');
    master.publishRaw(Subjects.agentKill('agent-1'), '{"epoch": 5}');
    master.publishRaw(Subjects.agentStatusAck('agent-1'), '[]');
    master.publishRaw(`${Subjects.agentInbox('agent-1').slice(0, -1)}bogus`, '{}');
    master.publishRaw(Subjects.masterHello, 'nope');
    master.launch('agent-1', { epoch: 4, frameworkId: 'fw', tasks: [task('agent-1', 'stale', 'true')] });
    master.kill('agent-1', { epoch: 4, frameworkId: 'fw', taskId: 'ghost' });
    await new Promise((r) => setTimeout(r, 500));
    expect(await http<AgentStateJson>('/state')).toEqual(before);
    expect(master.statuses).toEqual([]);
    expect(master.registrations).toHaveLength(1);
  });

  it('re-registers with its tasks on a hello from a newer master, then re-sends pending updates', async () => {
    master.ackPolicy = () => false;
    await start();
    await waitFor(() => master.registrations.length === 1, 'registration', 5000, 20);
    master.launch('agent-1', { epoch: 1, frameworkId: 'fw', tasks: [task('agent-1', 'sleeper', 'sleep 30')] });
    await waitFor(() => master.statesOf('sleeper').length > 0, 'STARTING', 5000, 20);
    master.hello(0); // older: ignored
    await new Promise((r) => setTimeout(r, 300));
    expect(master.registrations).toHaveLength(1);

    master.epoch = 2;
    master.masterId = 'master-2';
    const sentBefore = master.statuses.length;
    master.hello(2, 'master-2');
    // The scripted master keeps asking, so more re-registrations may follow the first one.
    await waitFor(() => master.registrations.length >= 2, 're-registration', 5000, 20);
    const reports = master.registrations[1].tasks;
    expect(master.registrations[1].agentId).toBe('agent-1');
    expect(reports.map((r) => [r.task.taskId, r.status.state])).toEqual([['sleeper', expect.stringMatching(/STARTING|RUNNING/)]]);
    await waitFor(() => master.statuses.length > sentBefore, 'resend after re-registration', 2000, 20);
    expect(await http('/health')).toEqual({ status: 'ok', agentId: 'agent-1', registered: true, masterEpoch: 2 });
    master.ackPolicy = () => true;
    master.kill('agent-1', { epoch: 2, frameworkId: 'fw', taskId: 'sleeper', gracePeriodMs: 0 });
    // The queued updates drain once acknowledged (next retry within 10 s at most).
    await waitFor(() => master.statesOf('sleeper').includes('KILLED'), 'KILLED', 15_000, 20);
  });

  it('re-registers when a heartbeat reply asks for it', async () => {
    await start();
    await waitFor(() => master.registrations.length === 1, 'registration', 5000, 20);
    master.heartbeatReply = () => ({ ok: true, epoch: 1, reregister: true });
    // The scripted master keeps asking, so more re-registrations may follow the first one.
    await waitFor(() => master.registrations.length >= 2, 're-registration', 5000, 20);
    master.heartbeatReply = undefined;
    expect(master.registrations[1].agentId).toBe('agent-1');
  });

  it('keeps heartbeating while the master is silent and recovers when it answers again', async () => {
    await start();
    await waitFor(() => master.registrations.length === 1, 'registration', 5000, 20);
    master.heartbeatReply = () => undefined;
    const silentFrom = master.heartbeats.length;
    await waitFor(() => master.heartbeats.length >= silentFrom + 2, 'heartbeats while unanswered', 8000, 20);
    master.heartbeatReply = undefined;
    const answeredFrom = master.heartbeats.length;
    await waitFor(() => master.heartbeats.length >= answeredFrom + 2, 'heartbeats after recovery', 5000, 20);
    expect(master.registrations).toHaveLength(1);
  });

  it('stops quickly and leaves running tasks alone', async () => {
    await start();
    await waitFor(() => master.registrations.length === 1, 'registration', 5000, 20);
    master.launch('agent-1', { epoch: 1, frameworkId: 'fw', tasks: [task('agent-1', 'survivor', 'echo $$ > pid; exec sleep 30')] });
    const pidFile = join(workDir, 'sandboxes', 'fw', 'survivor', 'pid');
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim(), 'task pid', 5000, 20);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const started = Date.now();
    await agent!.stop();
    agent = undefined;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(() => process.kill(pid, 0)).not.toThrow();
    process.kill(-pid, 'SIGKILL');
  });
});
