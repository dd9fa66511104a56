import type { Offer } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { reservedFor, reserveOperation, unreserveOperation } from '@pando/sdk';
import { findTask, TestCluster, waitFor } from '@pando/testing';
import { FAST_MASTER_ARGS, TestFramework } from './test-framework.fixture';

jest.setTimeout(90_000);

const PRINCIPAL = 'web-principal';
const resourcesOf = (offer: Offer): Resources => Resources.fromJson(offer.resources);
const dynamicPart = (offer: Offer): Resources => resourcesOf(offer).filter((r) => r.reservation?.type === 'DYNAMIC');
const slave = async (cluster: TestCluster): Promise<any> => (await cluster.master.state()).slaves[0];

/**
 * Dynamic reservations through ACCEPT, over a real nats-server, master and agent: RESERVE (and a
 * LAUNCH on the reserved resources in the same ACCEPT), offers of reserved resources to their
 * role only, reservations outliving their framework, UNRESERVE, and bad operations refused.
 */
describe('reservations', () => {
  let cluster: TestCluster;
  let web: TestFramework;
  let batch: TestFramework | undefined;
  let web2: TestFramework | undefined;

  beforeAll(async () => {
    cluster = await TestCluster.start({ agents: 1, masterArgs: FAST_MASTER_ARGS });
    web = await TestFramework.start({ natsUrl: cluster.nats.url, info: { name: 'web', roles: ['web'], principal: PRINCIPAL } });
  });

  afterAll(async () => {
    for (const fw of [web, batch, web2]) await fw?.stop();
    await cluster?.stop();
  });

  /** Lets the agent go: no more offers for `fw`, the ones it holds declined. */
  const release = async (fw: TestFramework): Promise<void> => {
    await fw.driver.suppress();
    const held = [...fw.held.values()].map((o) => fw.take(o));
    if (held.length > 0) await fw.driver.decline(held, { refuseSeconds: 0 });
  };

  it('RESERVEs part of an offer and LAUNCHes a task on the reserved resources in the same ACCEPT', async () => {
    const offer = web.take(await web.anyOffer());
    const reserved = reservedFor(Resources.parse('cpus:2;mem:512'), 'web', { principal: PRINCIPAL });
    const task = web.task(offer, 'on-reserved', '', 'sleep 600', { resources: reservedFor(Resources.parse('cpus:0.5;mem:64'), 'web', { principal: PRINCIPAL }).toJson() });
    const reply = await web.driver.accept(offer, [reserveOperation(reserved), { type: 'LAUNCH', launch: { taskInfos: [task] } }], { refuseSeconds: 0 });
    expect(reply.refusedOperations).toBeUndefined();
    expect(reply.refusedOffers).toBeUndefined();
    await web.stateOf(task.taskId, ['RUNNING']);

    const agent = await slave(cluster);
    expect(agent.reserved_resources).toEqual({ web: { cpus: 2, mem: 512, disk: 0, gpus: 0 } });
    expect(agent.unreserved_resources).toMatchObject({ cpus: 2, mem: 3584 });
    expect(agent.resources).toMatchObject({ cpus: 4, mem: 4096 });
    expect(agent.reserved_resources_full.web).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'cpus', role: 'web', reservation: { type: 'DYNAMIC', principal: PRINCIPAL }, scalar: { value: 2 } })]),
    );
    expect(findTask(await cluster.master.state(), task.taskId)?.resources).toMatchObject({ cpus: 0.5, mem: 64 });

    // What the task does not use of the reservation comes back, still reserved.
    const next = await web.offerWhere((o) => dynamicPart(o).scalar('cpus') === 1.5, 'the rest of the reservation offered again');
    expect(dynamicPart(next).equals(reservedFor(Resources.parse('cpus:1.5;mem:448'), 'web', { principal: PRINCIPAL }))).toBe(true);
    expect(resourcesOf(next).unreserved().scalar('cpus')).toBe(2);
  });

  it('offers reserved resources only to frameworks in their role, and keeps them when the framework goes away', async () => {
    batch = await TestFramework.start({ natsUrl: cluster.nats.url, info: { name: 'batch', roles: ['batch'] } });
    await release(web);
    const first = await batch.anyOffer();
    expect(dynamicPart(first).isEmpty()).toBe(true);
    expect(resourcesOf(first).scalar('cpus')).toBe(2);

    // Torn down: its task is killed; the reservation stays on the agent.
    const webId = web.id;
    await web.stop(true);
    await waitFor(async () => ((await cluster.master.state()).completed_frameworks.some((f: any) => f.id === webId) ? true : undefined), 'web removed');
    expect((await slave(cluster)).reserved_resources).toEqual({ web: { cpus: 2, mem: 512, disk: 0, gpus: 0 } });
    // batch is offered what the task gave back, never the reservation.
    const held = [...batch.held.values()].map((o) => batch!.take(o));
    await batch.driver.decline(held, { refuseSeconds: 0 });
    await batch.offerWhere((o) => resourcesOf(o).scalar('mem') === 3584, 'the unreserved resources, whole');
    expect(batch.offers.every((o) => dynamicPart(o).isEmpty())).toBe(true);

    // A new framework in the role is offered the reservation.
    web2 = await TestFramework.start({ natsUrl: cluster.nats.url, info: { name: 'web-2', roles: ['web'], principal: PRINCIPAL } });
    const offer = await web2.anyOffer();
    expect(resourcesOf(offer).equals(reservedFor(Resources.parse('cpus:2;mem:512'), 'web', { principal: PRINCIPAL }))).toBe(true);
  });

  it('refuses a bad RESERVE or UNRESERVE with a typed error naming the problem, changes nothing and gives the offer back', async () => {
    const offer = web2!.take(await web2!.anyOffer());
    const reply = await web2!.driver.accept(
      offer,
      [
        reserveOperation(reservedFor(Resources.parse('cpus:100'), 'web')),
        reserveOperation(reservedFor(Resources.parse('cpus:1'), 'batch')),
        unreserveOperation(Resources.parse('cpus:1')),
      ],
      { refuseSeconds: 0 },
    );
    expect(reply.refusedOperations).toEqual([
      { index: 0, type: 'RESERVE', error: expect.objectContaining({ code: 'INPUT', message: expect.stringMatching(/reserving 'cpus:100' for role 'web' exceeds/) }) },
      { index: 1, type: 'RESERVE', error: expect.objectContaining({ code: 'INPUT', message: expect.stringMatching(/role 'batch' is not one of the framework's roles \(web\)/) }) },
      { index: 2, type: 'UNRESERVE', error: expect.objectContaining({ code: 'INPUT', message: expect.stringMatching(/is not reserved/) }) },
    ]);
    expect((await slave(cluster)).reserved_resources).toEqual({ web: { cpus: 2, mem: 512, disk: 0, gpus: 0 } });
    const back = await web2!.anyOffer();
    expect(resourcesOf(back).equals(resourcesOf(offer))).toBe(true);
  });

  it('UNRESERVEs the reservation back into the general pool', async () => {
    const offer = web2!.take(await web2!.anyOffer());
    const reply = await web2!.driver.accept(offer, [unreserveOperation(dynamicPart(offer))], { refuseSeconds: 0 });
    expect(reply.refusedOperations).toBeUndefined();
    const agent = await slave(cluster);
    expect(agent.reserved_resources).toEqual({});
    expect(agent.unreserved_resources).toMatchObject({ cpus: 4, mem: 4096 });
    // Now anyone may have it: batch is offered the whole agent (once it gives back the pieces it holds).
    await release(web2!);
    const whole = await waitFor(
      async () => {
        const found = [...batch!.held.values()].find((o) => resourcesOf(o).scalar('cpus') === 4);
        if (found) return found;
        const pieces = [...batch!.held.values()].map((o) => batch!.take(o));
        if (pieces.length > 0) await batch!.driver.decline(pieces, { refuseSeconds: 0 });
        return undefined;
      },
      'batch: the whole agent',
      15_000,
      100,
    );
    expect(resourcesOf(whole).equals(resourcesOf(whole).unreserved())).toBe(true);
  });
});
