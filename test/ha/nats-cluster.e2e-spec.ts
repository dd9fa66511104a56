import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { startNatsCluster, waitFor, type RunningNatsCluster } from '@pando/testing';

/** The replicated state Pando's HA relies on: a 3-node JetStream cluster keeps a replicas-3 KV bucket writable when one node dies. */
describe('a three-node NATS cluster with JetStream', () => {
  let cluster: RunningNatsCluster;
  let nc: NatsConnection;

  beforeAll(async () => {
    cluster = await startNatsCluster({ nodes: 3 });
    nc = await connect({ servers: cluster.urls });
  });

  afterAll(async () => {
    await nc?.close();
    await cluster?.stop();
  });

  it('keeps a replicated KV bucket readable and writable after one node is killed', async () => {
    const kvm = new Kvm(nc);
    const kv = await waitFor(() => kvm.create('pando-ha-check', { replicas: 3 }), 'a replicas-3 bucket (JetStream meta leader elected)', 30_000, 500);
    await kv.put('lease', 'holder-1');
    await cluster.nodes[0].kill9();
    const revision = await waitFor(() => kv.put('lease', 'holder-2'), 'a write after losing a node', 30_000, 250);
    expect(revision).toBeGreaterThan(1);
    expect((await kv.get('lease'))?.string()).toBe('holder-2');
    await cluster.nodes[0].restart();
    expect((await kv.get('lease'))?.string()).toBe('holder-2');
  });
});
