import './testing/quiet-logs';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Subjects, type LaunchTasksMessage, type MasterHello } from '@pando/protocol';
import { AgentLivenessService } from './agents/agent-liveness.service';
import { MasterIdentity } from './identity/master-identity';
import { MasterModule } from './master.module';
import { masterOptions, registerRequest, resourcesJson, taskReport } from './testing/factories';
import { FakeClock } from './testing/fake-clock';
import { NatsServerFixture } from './testing/nats-server.fixture';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** End to end through a real nats-server and HTTP; only the clock is fake (liveness). */
describe('master (NATS + HTTP)', () => {
  let server: NatsServerFixture;
  let app: INestApplication;
  let nc: NatsConnection;
  let clock: FakeClock;
  let http: string;
  let hello: Promise<MasterHello>;
  let epoch: number;
  const exits: string[] = [];

  const ask = async (subject: string, body: unknown): Promise<any> => {
    const data = typeof body === 'string' ? encoder.encode(body) : encoder.encode(JSON.stringify(body));
    return JSON.parse(decoder.decode((await nc.request(subject, data, { timeout: 2000 })).data));
  };
  const next = (subject: string): Promise<any> =>
    new Promise((resolve) => {
      nc.subscribe(subject, { max: 1, callback: (_err, msg) => resolve(JSON.parse(decoder.decode(msg.data))) });
    });
  const state = async (path = '/master/state'): Promise<any> => (await fetch(`${http}${path}`)).json();
  const sendStatus = (agentId: string, taskId: string, state: string, uuid: string) =>
    nc.publish(
      Subjects.agentStatus,
      encoder.encode(JSON.stringify({ agentId, status: { taskId, frameworkId: 'operator', agentId, state, uuid, timestamp: clock.now(), source: 'SOURCE_EXECUTOR' } })),
    );

  beforeAll(async () => {
    server = await NatsServerFixture.start();
    nc = await connect({ servers: server.url });
    hello = next(Subjects.masterHello);
    await nc.flush();
    clock = new FakeClock();
    const options = masterOptions({ nats: { servers: [server.url] }, heartbeatIntervalMs: 1000, maxMissedHeartbeats: 4 });
    app = await NestFactory.create(MasterModule.forRoot({ options, clock, exit: (code, reason) => exits.push(`${code}: ${reason}`) }), { logger: false });
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    http = `http://127.0.0.1:${port}`;
    // A lone master wins the lease at once; its epoch is the lease's revision.
    const identity = app.get(MasterIdentity);
    for (let i = 0; i < 200 && !identity.leader; i++) await new Promise((r) => setTimeout(r, 10));
    await hello;
    epoch = identity.epoch;
  });

  afterAll(async () => {
    await app?.close();
    await nc?.close();
    await server?.stop();
  });

  it('wins the lease, says hello to agents and reports health', async () => {
    expect(epoch).toBeGreaterThan(0);
    expect(await hello).toEqual({ epoch, masterId: 'master-1' });
    expect(await (await fetch(`${http}/health`)).json()).toEqual({
      status: 'ok',
      masterId: 'master-1',
      epoch,
      leader: true,
      leaderId: 'master-1',
      leaderUrl: http,
      recovery: 'done',
      agents: { active: 0, unreachable: 0, recovered: 0 },
    });
    expect((await state()).leader_info).toMatchObject({ id: 'master-1', hostname: 'master-host' });
    expect(exits).toEqual([]);
  });

  it('answers malformed and refused registrations with typed errors and changes nothing', async () => {
    expect(await ask(Subjects.agentRegister, '{oops')).toMatchObject({ ok: false, error: { code: 'INPUT' } });
    expect(await ask(Subjects.agentRegister, { hostname: 'x' })).toMatchObject({ ok: false, error: { code: 'INPUT' } });
    expect(await ask(Subjects.agentRegister, registerRequest({ protocolVersion: 7 }))).toMatchObject({ ok: false, error: { code: 'INPUT' } });
    expect(await ask(Subjects.agentHeartbeat, { agentId: 'no such.agent' })).toMatchObject({ ok: false, error: { code: 'INPUT' } });
    expect((await state()).slaves).toEqual([]);
  });

  it('runs an agent through registration, launch, status, unreachable, re-registration and kill', async () => {
    const registered = await ask(Subjects.agentRegister, registerRequest());
    expect(registered).toMatchObject({ ok: true, epoch, masterId: 'master-1', heartbeatIntervalMs: 1000 });
    const agentId: string = registered.agentId;
    expect(await ask(Subjects.agentHeartbeat, { agentId })).toEqual({ ok: true, epoch });
    expect(await ask(Subjects.agentHeartbeat, { agentId: 'stranger' })).toEqual({ ok: false, epoch, reregister: true });

    const refused = await ask(Subjects.operatorLaunch, { agentId, task: { taskId: 'big', resources: resourcesJson(64, 1), executor: 'docker' } });
    expect(refused).toMatchObject({ ok: false, error: { code: 'INPUT' } });
    expect(refused.error.details).toHaveLength(2);
    expect(await ask(Subjects.operatorLaunch, { agentId: 'ghost', task: { resources: resourcesJson(1, 1) } })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

    const launched = next(Subjects.agentLaunch(agentId));
    const reply = await ask(Subjects.operatorLaunch, { agentId, task: { taskId: 'web-1', resources: resourcesJson(1, 128), command: { value: 'sleep 1' } } });
    expect(reply).toEqual({ ok: true, taskId: 'web-1', agentId });
    const launch: LaunchTasksMessage = await launched;
    expect(launch).toMatchObject({ epoch, frameworkId: 'operator', tasks: [{ taskId: 'web-1', name: 'web-1', agentId, executor: 'command' }] });
    expect(await ask(Subjects.operatorLaunch, { agentId, task: { taskId: 'web-1', resources: resourcesJson(1, 1) } })).toMatchObject({ error: { code: 'CONFLICT' } });

    const acked = next(Subjects.agentStatusAck(agentId));
    nc.publish(Subjects.agentStatus, encoder.encode('garbage'));
    sendStatus(agentId, 'web-1', 'RUNNING', 'u1');
    expect(await acked).toEqual({ epoch, taskId: 'web-1', uuid: 'u1' });
    let s = await state();
    expect(s.frameworks[0].tasks[0]).toMatchObject({ id: 'web-1', state: 'TASK_RUNNING', slave_id: agentId });
    expect(s.slaves[0].used_resources).toMatchObject({ cpus: 1, mem: 128 });

    clock.advance(4000 + 1000);
    expect(app.get(AgentLivenessService).check()).toEqual([]); // already marked by the timer
    s = await state('/state');
    expect(s).toMatchObject({ activated_slaves: 0, unreachable_slaves: 1 });
    expect(s.slaves[0].active).toBe(false);
    expect(s.frameworks[0].tasks[0].state).toBe('TASK_UNREACHABLE');
    expect(await ask(Subjects.agentHeartbeat, { agentId })).toMatchObject({ ok: false, reregister: true });

    const task = { ...launch.tasks![0], executor: 'command' };
    const again = await ask(Subjects.agentRegister, registerRequest({ agentId, tasks: [taskReport(task as never, 'RUNNING', 'u1')] }));
    expect(again).toMatchObject({ ok: true, agentId });
    s = await state('/master/state.json');
    expect(s.slaves[0]).toMatchObject({ active: true, reregistered_time: clock.now() / 1000 });
    expect(s.frameworks[0].tasks[0].state).toBe('TASK_RUNNING');

    const killed = next(Subjects.agentKill(agentId));
    expect(await ask(Subjects.operatorKill, { taskId: 'web-1' })).toEqual({ ok: true });
    expect(await killed).toEqual({ epoch, frameworkId: 'operator', taskId: 'web-1' });
    expect(await ask(Subjects.operatorKill, { taskId: 'nope' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

    const terminalAck = next(Subjects.agentStatusAck(agentId));
    sendStatus(agentId, 'web-1', 'KILLED', 'u2');
    expect(await terminalAck).toMatchObject({ uuid: 'u2' });
    s = await state();
    expect(s.frameworks[0].tasks).toEqual([]);
    expect(s.frameworks[0].completed_tasks[0]).toMatchObject({ id: 'web-1', state: 'TASK_KILLED' });
    expect(s.slaves[0].used_resources).toMatchObject({ cpus: 0, mem: 0 });
  });

  it('records and acknowledges an update for a task it does not know', async () => {
    const { agentId } = await ask(Subjects.agentRegister, registerRequest({ hostname: 'node-2' }));
    const acked = next(Subjects.agentStatusAck(agentId));
    sendStatus(agentId, 'before-restart', 'RUNNING', 'x1');
    expect(await acked).toMatchObject({ taskId: 'before-restart', uuid: 'x1' });
    const s = await state();
    expect(s.frameworks[0].tasks).toEqual([expect.objectContaining({ id: 'before-restart', state: 'TASK_RUNNING', slave_id: agentId })]);
  });
});
