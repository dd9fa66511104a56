import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { waitFor } from '@pando/testing';
import { TestFramework } from '../offer-api/test-framework.fixture';
import { HaCluster, LEASE_TTL_MS, TaskLedger } from './ha-cluster.fixture';

jest.setTimeout(180_000);

const PER_AGENT = 3;

/**
 * Chaos (d): SIGKILL the NATS node that leads the registry's stream (the worst one to lose: lease
 * renewals stall until JetStream elects another stream leader). The cluster carries on: a master
 * leads (the same one, or a standby when the leader could not renew in time), both agents are
 * active, the framework is subscribed, its tasks still run and new ones launch.
 */
describe('kill -9 of a NATS node (3 masters, 3-node NATS, KV replicas 3)', () => {
  let cluster: HaCluster;
  let fw: TestFramework;
  let ledger: TaskLedger;

  beforeAll(async () => {
    cluster = await HaCluster.start({ masters: 3, agents: 2 });
    const nc = await cluster.connect();
    fw = await TestFramework.start({ natsUrl: '', nc, info: { name: 'ha-nats', capabilities: ['PARTITION_AWARE'] } });
    ledger = new TaskLedger(fw);
    for (const agent of cluster.agents) {
      const offer = fw.take(await fw.offerWhere((o) => o.agentId === agent.agentId, `an offer on ${agent.agentId}`));
      await ledger.launch(offer, Array.from({ length: PER_AGENT }, (_, i) => `${agent.options.hostname}-n${i}`), (id) => `sleep 600 & wait; echo =${id}=`);
    }
    await waitFor(() => [...ledger.launched.keys()].every((id) => ledger.latest(id)?.state === 'RUNNING'), 'every task running', 30_000);
  });

  afterAll(async () => {
    await fw?.stop(false);
    await cluster?.stop();
  });

  it('carries on: a leader, both agents, the framework, its tasks, new launches', async () => {
    const before = await cluster.leader();
    const beforeEpoch = (await before.health()).epoch;
    const nc = await cluster.connect();
    const jsm = await jetstreamManager(nc);
    const streamLeader = (await jsm.streams.info('KV_pando-master-registry')).cluster?.leader;
    const node = cluster.nats.nodes.find((n) => n.name === streamLeader)!;
    expect(node).toBeDefined();
    const killedAt = Date.now();
    await node.kill9();
    // Until JetStream has a new stream leader nobody can renew or take the lease; once it has, the
    // lease settles within two ttls (kept by the leader, or taken over by a standby).
    const kv = await new Kvm(nc).open('pando-master-registry');
    await waitFor(() => kv.put('probe', String(Date.now())).then(() => true), 'the registry writable again', 60_000, 100);
    const writableMs = Date.now() - killedAt;
    await kv.delete('probe');
    await new Promise((r) => setTimeout(r, 2 * LEASE_TTL_MS));
    const leader = await cluster.leader(60_000);
    const epoch = (await leader.health()).epoch;
    const exited = cluster.masters.filter((m) => !m.process.running).map((m) => `${m.url} (exit ${m.process.exitCode})`);
    process.stderr.write(
      `[ha] NATS node ${node.name} (registry stream leader) killed; registry writable after ${writableMs} ms; leader ${leader === before ? 'kept' : 'changed'} ` +
        `(epoch ${beforeEpoch} -> ${epoch}); masters exited: ${exited.join(', ') || 'none'}\n`,
    );
    // A master that ended did so because it could not renew the lease (its lease worker kills the
    // process at once, SIGKILL, whatever the main thread is doing), never for anything else.
    for (const m of cluster.masters) if (!m.process.running) expect(m.process.output()).toMatch(/exiting: stopped leading: lease leader could not be renewed/);

    await waitFor(async () => (await leader.state()).activated_slaves === 2, 'both agents active on the leader', 30_000);
    await waitFor(() => fw.driver.state === 'subscribed' && fw.driver.epoch === epoch, 'the framework subscribed to the leader', 30_000);

    // The tasks launched before are all still running, and a new one launches.
    const settled = await ledger.settle();
    expect([...settled.values()].map((s) => s.state)).toEqual([...settled.values()].map(() => 'RUNNING'));
    // Offers of an earlier leader are void (a new one makes its own): a launch on one is refused.
    let attempts = 0;
    while (ledger.launched.get('after-node-loss') !== 'accepted' && attempts++ < 5) {
      const offer = fw.take(await fw.anyOffer(30_000));
      await ledger.launch(offer, ['after-node-loss'], (id) => `sleep 600 & wait; echo =${id}=`);
    }
    expect(ledger.launched.get('after-node-loss')).toBe('accepted');
    await fw.stateOf('after-node-loss', ['RUNNING'], 30_000);
    await waitFor(async () => {
      const pending = await Promise.all(cluster.agents.map(async (a) => (await a.state()).pending_status_updates as number));
      return pending.every((p) => p === 0);
    }, 'agents with no unacknowledged update', 20_000);
    const mine = (await leader.state()).frameworks.find((f: { id: string }) => f.id === fw.id);
    expect(mine.tasks.length).toBe(2 * PER_AGENT + 1);

    // The node comes back and the cluster still works (its JetStream data was kept).
    await node.restart();
    await waitFor(async () => (await cluster.leader()).url === leader.url, 'the same leader after the node is back', 10_000);
  });
});
