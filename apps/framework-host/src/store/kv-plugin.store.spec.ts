import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ConflictError, InputError } from '@pando/common';
import { storeKey } from '@pando/sdk';
import { startNatsServer, type RunningNats } from '@pando/testing';
import { KvPluginStore, pluginBucketName } from './kv-plugin.store';

describe('KvPluginStore (real nats-server)', () => {
  let nats: RunningNats;
  let nc: NatsConnection;
  let store: KvPluginStore;
  let other: KvPluginStore;

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });
  beforeEach(async () => {
    const name = pluginBucketName(`spec-${Math.random().toString(36).slice(2, 8)}`);
    store = new KvPluginStore(await new Kvm(nc).create(name, { history: 1 }), name);
    // A second host's view of the same bucket.
    other = new KvPluginStore(await new Kvm(nc).open(name), name);
  });

  it('stores JSON values with their revisions', async () => {
    const rev = await store.put('apps.web', { instances: 3 });
    expect(await other.get('apps.web')).toEqual({ key: 'apps.web', value: { instances: 3 }, revision: rev });
    expect(await store.get('apps.none')).toBeUndefined();
  });

  it('creates only absent keys, also after a delete', async () => {
    const rev = await store.create('jobs.a', 1);
    await expect(other.create('jobs.a', 2)).rejects.toThrow(ConflictError);
    await expect(other.create('jobs.a', 2)).rejects.toThrow("pando-plugin-");
    await store.delete('jobs.a');
    expect(await store.get('jobs.a')).toBeUndefined();
    expect(await other.create('jobs.a', 3)).toBeGreaterThan(rev);
    expect((await store.get('jobs.a'))?.value).toBe(3);
  });

  it('updates only from the current revision (compare-and-set across hosts)', async () => {
    const first = await store.create('counter', 0);
    const second = await other.update('counter', 1, first);
    await expect(store.update('counter', 99, first)).rejects.toThrow(ConflictError);
    await expect(store.update('counter', 99, first)).rejects.toThrow(`'counter' is no longer at revision ${first}`);
    expect(await store.update('counter', 2, second)).toBeGreaterThan(second);
    expect((await other.get('counter'))?.value).toBe(2);
    await expect(store.update('counter', 3, 0)).rejects.toThrow(InputError);
  });

  it('lists keys and values under a prefix, skipping deleted ones', async () => {
    await store.put(storeKey('apps', '/prod/web'), { id: '/prod/web' });
    await store.put('apps.db', { id: 'db' });
    await store.put('appsx', 1);
    await store.put('jobs.nightly', 1);
    await store.put('apps.gone', 1);
    await store.delete('apps.gone');
    expect((await store.keys('apps.')).sort()).toEqual(['apps.db', storeKey('apps', '/prod/web')].sort());
    expect((await store.keys('app')).sort()).toEqual(['apps.db', storeKey('apps', '/prod/web'), 'appsx'].sort());
    expect((await store.list<{ id: string }>('apps.')).map((v) => v.value.id).sort()).toEqual(['/prod/web', 'db']);
    expect(await store.keys()).toHaveLength(4);
  });

  it('refuses keys KV cannot hold, before sending anything', async () => {
    await expect(store.put('has space', 1)).rejects.toThrow(InputError);
    await expect(store.get('a..b')).rejects.toThrow(/storeKey\(\) builds safe keys/);
  });
});
