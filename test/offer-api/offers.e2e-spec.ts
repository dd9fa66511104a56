import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Subjects } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { fetchJson, findTask, TestCluster, waitFor } from '@pando/testing';
import { FAST_MASTER_ARGS, TestFramework } from './test-framework.fixture';

jest.setTimeout(60_000);

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const cpus = (offer: { resources: Parameters<typeof Resources.fromJson>[0] }): number => Resources.fromJson(offer.resources).scalar('cpus');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The offer lifecycle over a real nats-server with real agents, seen from SDK frameworks. */
describe('offers', () => {
  let cluster: TestCluster;
  let fw: TestFramework;
  let raw: NatsConnection;

  const call = async (body: unknown, nc = raw): Promise<any> =>
    JSON.parse(decoder.decode((await nc.request(Subjects.schedulerCall, encoder.encode(JSON.stringify(body)), { timeout: 5000 })).data));

  beforeAll(async () => {
    cluster = await TestCluster.start({ agents: 2, masterArgs: FAST_MASTER_ARGS });
    raw = await connect({ servers: cluster.nats.url });
    fw = await TestFramework.start({ natsUrl: cluster.nats.url, info: { name: 'offers-fw', roles: ['web'], capabilities: ['PARTITION_AWARE'] } });
  });

  afterAll(async () => {
    await fw?.stop();
    await raw?.close();
    await cluster?.stop();
  });

  /** Declines every held offer (refuseSeconds 0: they come straight back) and waits for fresh ones of both agents. */
  const freshOffers = async (): Promise<void> => {
    const held = [...fw.held.values()];
    held.forEach((o) => fw.take(o));
    if (held.length > 0) await fw.driver.decline(held, { refuseSeconds: 0 });
    await waitFor(() => new Set([...fw.held.values()].map((o) => o.agentId)).size === 2 && cpus([...fw.held.values()][0]!) > 0, 'offers of both agents');
  };

  it('offers each agent to a subscribed framework in Mesos shape, and shows the offers in /master/state', async () => {
    await waitFor(() => fw.held.size === 2, 'two offers');
    const offers = [...fw.held.values()];
    expect(new Set(offers.map((o) => o.agentId))).toEqual(new Set(cluster.agents.map((a) => a.agentId)));
    for (const offer of offers) {
      expect(offer).toMatchObject({ frameworkId: fw.id, hostname: expect.any(String), allocationInfo: { role: 'web' }, executors: expect.arrayContaining(['command']) });
      expect(Resources.fromJson(offer.resources).toStateJson()).toMatchObject({ cpus: 4, mem: 4096, disk: 10000, ports: '[31000-31100]' });
    }
    const state = await cluster.master.state();
    const framework = state.frameworks.find((f: any) => f.id === fw.id);
    expect(framework).toMatchObject({ name: 'offers-fw', active: true, connected: true, role: 'web', roles: ['web'], capabilities: ['PARTITION_AWARE'] });
    expect(framework.offered_resources).toMatchObject({ cpus: 8, mem: 8192 });
    expect(framework.offers).toHaveLength(2);
    expect(framework.offers[0]).toEqual({ id: expect.any(String), framework_id: fw.id, slave_id: expect.any(String), resources: expect.objectContaining({ cpus: 4 }), allocation_info: { role: 'web' } });
    for (const slave of state.slaves) expect(slave.offered_resources).toMatchObject({ cpus: 4, mem: 4096 });
    const roles = await fetchJson(`${cluster.master.url}/master/roles`);
    expect(roles.roles).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'web', weight: 1, frameworks: [fw.id], offered: expect.objectContaining({ cpus: 8 }) })]));
  });

  it('does not offer declined resources to that framework again before refuseSeconds', async () => {
    await freshOffers();
    const [first, second] = [...fw.held.values()];
    fw.take(first!);
    fw.take(second!);
    const declinedAt = Date.now();
    await fw.driver.decline(first!, { refuseSeconds: 2 });
    await fw.driver.decline(second!, { refuseSeconds: 0 });
    // The agent declined without a filter comes back within a few cycles; the filtered one only after 2 s.
    const quick = await fw.offerWhere((o) => o.agentId === second!.agentId, 'the unfiltered agent again', 2000);
    expect(Date.now() - declinedAt).toBeLessThan(1500);
    expect(quick.id).not.toBe(second!.id);
    const again = await fw.offerWhere((o) => o.agentId === first!.agentId, 'the filtered agent again', 5000);
    expect(Date.now() - declinedAt).toBeGreaterThanOrEqual(1950);
    expect(again.id).not.toBe(first!.id);
  });

  it('stops offering after SUPPRESS and starts again after REVIVE', async () => {
    await freshOffers();
    await fw.driver.suppress();
    const held = [...fw.held.values()];
    held.forEach((o) => fw.take(o));
    await fw.driver.decline(held, { refuseSeconds: 0 });
    await sleep(300);
    const before = fw.offers.length;
    await sleep(1000);
    expect(fw.offers.length).toBe(before);
    expect((await cluster.master.state()).frameworks.find((f: any) => f.id === fw.id).suppressed_roles).toEqual(['web']);
    const revivedAt = Date.now();
    await fw.driver.revive();
    await waitFor(() => fw.offers.length > before, 'offers after REVIVE', 3000, 10);
    expect(Date.now() - revivedAt).toBeLessThan(1000);
  });

  it('refuses ACCEPT of used, declined or unknown offers one by one and proceeds with the rest', async () => {
    await freshOffers();
    const [first, second] = [...fw.held.values()];
    const declined = fw.take(first!);
    await fw.driver.decline(declined, { refuseSeconds: 0 });
    const used = fw.take(second!);
    const a = fw.task(used, 'first', 'cpus:0.5;mem:64');
    expect((await fw.driver.launch(used, [a], { refuseSeconds: 0 })).refusedOffers).toBeUndefined();
    const fresh = fw.take(await fw.offerWhere((o) => o.agentId === used.agentId && o.id !== used.id, 'a fresh offer of the same agent'));
    const b = fw.task(fresh, 'second', 'cpus:0.5;mem:64');
    const reply = await fw.driver.launch([used.id, declined.id, 'no-such-offer', fresh.id], [b], { refuseSeconds: 0 });
    expect(reply.refusedOffers?.map((r) => r.offerId).sort()).toEqual([used.id, declined.id, 'no-such-offer'].sort());
    expect(reply.refusedOffers?.[0]?.reason).toMatch(/not outstanding/);
    await fw.stateOf(a.taskId, ['RUNNING']);
    await fw.stateOf(b.taskId, ['RUNNING']);
    expect(fw.updates.filter((u) => u.taskId === b.taskId && u.state !== 'STARTING' && u.state !== 'RUNNING')).toEqual([]);
  });

  it('answers bad tasks with TASK_ERROR from the master and gives the rest of the offer back', async () => {
    await freshOffers();
    const offer = fw.take([...fw.held.values()][0]!);
    const existing = fw.updates.find((u) => u.state === 'RUNNING')!.taskId;
    const good = fw.task(offer, 'good', 'cpus:1;mem:128');
    const tooBig = fw.task(offer, 'too-big', 'cpus:100;mem:64');
    const wrongExecutor = fw.task(offer, 'wrong-executor', 'cpus:0.1;mem:32', 'true', { executor: 'no-such-executor' });
    const duplicate = { ...fw.task(offer, 'duplicate', 'cpus:0.1;mem:32'), taskId: existing };
    await fw.driver.launch(offer, [good, tooBig, wrongExecutor, duplicate], { refuseSeconds: 0 });
    for (const [task, why] of [[tooBig, /exceed/], [wrongExecutor, /executor 'no-such-executor'/], [duplicate, /already in use/]] as const) {
      const status = await fw.stateOf(task.taskId, ['ERROR']);
      expect(status).toMatchObject({ source: 'SOURCE_MASTER', reason: 'REASON_TASK_INVALID', agentId: offer.agentId });
      expect(status.uuid).toBeUndefined();
      expect(status.message).toMatch(why);
    }
    await fw.stateOf(good.taskId, ['RUNNING']);
    expect(findTask(await cluster.master.state(), tooBig.taskId)).toBeUndefined();
    const rest = await fw.offerWhere((o) => o.agentId === offer.agentId && o.id !== offer.id, 'the rest of the agent');
    expect(cpus(rest)).toBeCloseTo(cpus(offer) - 1, 5);
  });

  it('launches a LAUNCH_GROUP whole or not at all', async () => {
    await freshOffers();
    const offer = fw.take([...fw.held.values()][0]!);
    const bad = [fw.task(offer, 'g1', 'cpus:0.1;mem:32'), fw.task(offer, 'g2', 'cpus:99;mem:32')];
    await fw.driver.launchGroup(offer, bad, { refuseSeconds: 0 });
    for (const task of bad) expect((await fw.stateOf(task.taskId, ['ERROR'])).message).toMatch(/task group refused/);
    expect(findTask(await cluster.master.state(), bad[0]!.taskId)).toBeUndefined();
    const next = fw.take(await fw.offerWhere((o) => o.agentId === offer.agentId, 'the agent again'));
    const good = [fw.task(next, 'g3', 'cpus:0.1;mem:32'), fw.task(next, 'g4', 'cpus:0.1;mem:32')];
    await fw.driver.launchGroup(next, good, { refuseSeconds: 0 });
    for (const task of good) await fw.stateOf(task.taskId, ['RUNNING']);
  });

  it('refuses calls from frameworks that are not subscribed or not the caller, changing nothing', async () => {
    await freshOffers();
    const offer = [...fw.held.values()][0]!;
    const before = (await cluster.master.state()).frameworks.find((f: any) => f.id === fw.id).offers.length;
    expect(await call({ type: 'DECLINE', frameworkId: 'nobody', decline: { offerIds: [offer.id] } })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    // The right id from another connection: someone else's framework.
    const accept = { type: 'ACCEPT', frameworkId: fw.id, accept: { offerIds: [offer.id], operations: [] } };
    expect(await call(accept)).toMatchObject({ ok: false, error: { code: 'CONFLICT', message: expect.stringMatching(/another connection/) } });
    expect(await call({ type: 'REVIVE', frameworkId: fw.id })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(await call({ type: 'TEARDOWN', frameworkId: fw.id })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(await call({ type: 'ACCEPT', frameworkId: fw.id, accept: { offerIds: [] } })).toMatchObject({ ok: false, error: { code: 'INPUT' } });
    await expect(fw.driver.message(offer.agentId, 'some-task', 'aGk=')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // A malformed operation (a reservation without a role) refuses the whole call before it is used.
    const badReserve = { name: 'cpus', type: 'SCALAR' as const, scalar: { value: 1 }, reservation: { type: 'DYNAMIC' as const } };
    expect(await call({ ...accept, accept: { ...accept.accept, operations: [{ type: 'RESERVE', reserve: { resources: [badReserve] } }] } }, fw.nc)).toMatchObject({
      ok: false,
      error: { code: 'INPUT', message: expect.stringMatching(/reservation needs a role other than/) },
    });
    await expect(fw.driver.suppress(['not-my-role'])).rejects.toMatchObject({ code: 'INPUT' });
    const state = await cluster.master.state();
    expect(state.frameworks.find((f: any) => f.id === fw.id)).toMatchObject({ active: true });
    expect(state.frameworks.find((f: any) => f.id === fw.id).offers.length).toBe(before);
    expect(fw.held.has(offer.id)).toBe(true);
    // The offer is still good.
    const task = fw.task(offer, 'still-good', 'cpus:0.1;mem:32');
    expect((await fw.driver.launch(fw.take(offer), [task], { refuseSeconds: 0 })).refusedOffers).toBeUndefined();
    await fw.stateOf(task.taskId, ['RUNNING']);
  });

  it('refuses KILL and ACKNOWLEDGE of another framework\'s task', async () => {
    const other = await TestFramework.start({ natsUrl: cluster.nats.url, info: { name: 'other', roles: ['other'] } });
    try {
      const mine = fw.updates.find((u) => u.state === 'RUNNING')!;
      await expect(other.driver.kill(mine.taskId)).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(other.driver.acknowledge(mine.agentId!, mine.taskId, 'x')).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(findTask(await cluster.master.state(), mine.taskId)?.state).toBe('TASK_RUNNING');
    } finally {
      await other.stop();
    }
  });
});
