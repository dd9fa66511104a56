import '../testing/quiet-logs';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createLogger } from '@pando/common';
import { NatsServerFixture } from '../testing/nats-server.fixture';
import { JetStreamKv } from './kv-bucket';
import { RegistryMirror } from './registry-mirror';

const log = createLogger('mirror-spec');

/** A standby's live copy of the registry, against a real KV bucket. */
describe('RegistryMirror', () => {
  let server: NatsServerFixture;
  let nc: NatsConnection;
  let kv: JetStreamKv;

  beforeAll(async () => {
    server = await NatsServerFixture.start();
    nc = await connect({ servers: server.url });
    kv = new JetStreamKv(await new Kvm(nc).create('mirror-spec', { history: 1 }), 'mirror-spec');
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('copies what is there and what changes, and answers as of a revision once it saw it', async () => {
    await kv.put('agents.a', { n: 1 });
    await kv.put('agents.b', { n: 2 });
    const mirror = new RegistryMirror(kv, log);
    await mirror.start();
    await kv.delete('agents.b');
    await kv.put('agents.c', { n: 3 });
    const lease = await kv.put('leader', { masterId: 'm' });
    const values = await mirror.snapshotAt(lease, 2000);
    expect(values?.map((v) => [v.key, v.value]).sort()).toEqual([
      ['agents.a', { n: 1 }],
      ['agents.c', { n: 3 }],
      ['leader', { masterId: 'm' }],
    ]);
    expect(await mirror.snapshotAt(lease + 100, 50)).toBeUndefined();
    mirror.stop();
  });

  it('reads values that are not JSON as null (reported and skipped by the registry)', async () => {
    const raw = await new Kvm(nc).open('mirror-spec');
    const revision = await raw.put('agents.bad', '{not json');
    const mirror = new RegistryMirror(kv, log);
    await mirror.start();
    const values = await mirror.snapshotAt(revision, 2000);
    expect(values?.find((v) => v.key === 'agents.bad')?.value).toBeNull();
    mirror.stop();
  });
});
