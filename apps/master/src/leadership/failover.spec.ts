import '../testing/quiet-logs';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { Subjects } from '@pando/protocol';
import { MasterIdentity } from '../identity/master-identity';
import { MasterModule } from '../master.module';
import { MasterRegistry } from '../registry/master-registry.service';
import { RegistryBucket } from '../registry/registry-bucket.service';
import { registerRequest, masterOptions, taskInfo, taskReport } from '../testing/factories';
import { NatsServerFixture } from '../testing/nats-server.fixture';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const TTL = 600;

interface Master {
  app: INestApplication;
  url: string;
  identity: MasterIdentity;
  exits: string[];
}

/** Two masters in this process against a real nats-server (JetStream KV): standby, proxy, takeover. */
describe('leader election and failover (two masters, real NATS)', () => {
  let server: NatsServerFixture;
  let nc: NatsConnection;
  let a: Master;
  let b: Master;
  let frameworkId: string;
  let agentId: string;
  const events: Array<{ type: string; epoch: number }> = [];

  const ask = async (subject: string, body: unknown): Promise<any> => JSON.parse(decoder.decode((await nc.request(subject, encoder.encode(JSON.stringify(body)), { timeout: 2000 })).data));
  const until = async (what: () => boolean | Promise<boolean>, ms = 5000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!(await what())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const health = async (m: Master): Promise<any> => (await fetch(`${m.url}/health`)).json();

  async function startMaster(id: string): Promise<Master> {
    const exits: string[] = [];
    const options = masterOptions({ masterId: id, hostname: `${id}-host`, nats: { servers: [server.url] }, leaseTtlMs: TTL, heartbeatIntervalMs: 500, recoveryTimeoutMs: 5000 });
    const app = await NestFactory.create(MasterModule.forRoot({ options, exit: (code, reason) => exits.push(`${code}: ${reason}`) }), { logger: false });
    await app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    return { app, url, identity: app.get(MasterIdentity), exits };
  }

  beforeAll(async () => {
    server = await NatsServerFixture.start();
    nc = await connect({ servers: server.url });
    a = await startMaster('master-a');
    await until(() => a.identity.leader);
    b = await startMaster('master-b');
    await until(async () => (await health(b)).leaderId === 'master-a');
  });

  afterAll(async () => {
    await b?.app.close();
    await a?.app.close().catch(() => undefined);
    await nc?.close();
    await server?.stop();
  });

  it('has one leader; the standby serves /health itself and sends the rest to the leader', async () => {
    expect(await health(b)).toEqual({ status: 'ok', masterId: 'master-b', epoch: 0, leader: false, leaderId: 'master-a', leaderUrl: a.url });
    const proxied = await fetch(`${b.url}/master/state`);
    expect(proxied.status).toBe(200);
    expect(await proxied.json()).toMatchObject({ id: 'master-a', leader: expect.stringMatching(/^master@master-a-host:/), leader_info: { id: 'master-a' } });
    const posted = await fetch(`${b.url}/master/teardown?x=1`, { method: 'POST', redirect: 'manual' });
    expect(posted.status).toBe(307);
    expect(posted.headers.get('location')).toBe(`${a.url}/master/teardown?x=1`);
    const redirect = await fetch(`${b.url}/master/redirect`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([307, a.url]);
  });

  it('serves the master subjects on the leader only', async () => {
    const replies: Msg[] = [];
    for await (const reply of await nc.requestMany(Subjects.agentHeartbeat, encoder.encode(JSON.stringify({ agentId: 'nobody' })), { strategy: 'timer', maxWait: 300 })) replies.push(reply);
    expect(replies.map((r) => JSON.parse(decoder.decode(r.data)))).toEqual([{ ok: false, epoch: a.identity.epoch, reregister: true }]);
  });

  it('keeps agents and frameworks in the registry', async () => {
    const registered = await ask(Subjects.agentRegister, registerRequest({ hostname: 'node-1' }));
    agentId = registered.agentId;
    expect(registered).toMatchObject({ ok: true, epoch: a.identity.epoch });
    nc.subscribe(Subjects.frameworkEvents('*'), {
      callback: (_err, msg) => {
        const event = JSON.parse(decoder.decode(msg.data));
        events.push({ type: event.type, epoch: event.epoch });
        if (msg.reply) msg.respond(encoder.encode('{"ok":true}'));
      },
    });
    await nc.flush();
    const subscribed = await ask(Subjects.schedulerCall, { type: 'SUBSCRIBE', subscribe: { frameworkInfo: { name: 'fw', roles: ['web'], failoverTimeoutSeconds: 60 } } });
    frameworkId = subscribed.frameworkId;
    await until(() => events.some((e) => e.type === 'SUBSCRIBED'));
    await a.app.get(MasterRegistry).flushed();
    expect(a.app.get(MasterRegistry).writes).toMatchObject({ done: 2, failed: 0, pending: 0 });
    // Heartbeats are not written; a re-registration that changes nothing is not either.
    await ask(Subjects.agentHeartbeat, { agentId });
    await ask(Subjects.agentRegister, registerRequest({ hostname: 'node-1', agentId }));
    await a.app.get(MasterRegistry).flushed();
    expect(a.app.get(MasterRegistry).writes.done).toBe(2);
  });

  it('a leader cut off from NATS exits; the standby takes over with a higher epoch and recovers', async () => {
    const epochA = a.identity.epoch;
    const hello = new Promise<any>((resolve) => nc.subscribe(Subjects.masterHello, { max: 1, callback: (_e, m) => resolve(JSON.parse(decoder.decode(m.data))) }));
    await nc.flush();
    events.length = 0;
    // Cut off: the master's connection and the lease's own one.
    for (const connection of a.app.get(RegistryBucket).connections) await connection.close();
    await until(() => a.exits.length > 0, 2 * TTL);
    expect(a.exits[0]).toMatch(/^2: stopped leading: lease leader could not be renewed/);
    await until(() => b.identity.leader, 3 * TTL);
    expect(b.identity.epoch).toBeGreaterThan(epochA);
    expect(await hello).toEqual({ epoch: b.identity.epoch, masterId: 'master-b' });
    // Known from the registry, not re-registered yet: no offers, nobody unreachable, no framework told.
    let state: any = await (await fetch(`${b.url}/master/state`)).json();
    expect(state.recovered_slaves.map((s: { id: string }) => s.id)).toEqual([agentId]);
    expect(state.frameworks).toEqual([expect.objectContaining({ id: frameworkId, name: 'fw', role: 'web', active: false })]);
    expect((await health(b)).recovery).toBe('recovering');
    expect(events).toEqual([]);

    const task = taskInfo('t1', agentId, { frameworkId });
    expect(await ask(Subjects.agentRegister, registerRequest({ hostname: 'node-1', agentId, tasks: [taskReport(task, 'RUNNING', 'u1')] }))).toMatchObject({ ok: true, epoch: b.identity.epoch });
    await until(() => events.some((e) => e.type === 'SUBSCRIBED'));
    expect(events[0]).toEqual({ type: 'SUBSCRIBED', epoch: b.identity.epoch });
    state = await (await fetch(`${b.url}/master/state`)).json();
    expect(state.recovered_slaves).toEqual([]);
    expect(state.slaves).toEqual([expect.objectContaining({ id: agentId, active: true })]);
    expect(state.frameworks[0]).toMatchObject({ id: frameworkId, role: 'web', tasks: [expect.objectContaining({ id: 't1', state: 'TASK_RUNNING' })] });
    await until(async () => ((await (await fetch(`${b.url}/master/state`)).json()) as any).frameworks[0].active === true);
    expect(b.exits).toEqual([]);
  });
});
