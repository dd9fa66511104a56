import { FakeClock } from '@pando/testing';
import type { FrameworkPluginContext } from '@pando/sdk';
import { pino } from 'pino';
import { restartApp } from '../app-update.merge';
import { DEFAULT_MARATHON_OPTIONS } from '../marathon.options';
import { InMemoryPluginStore } from '../testing/in-memory-plugin-store';
import { app } from '../testing/marathon.fixtures';
import { AppStore, type StoredDeployment } from './app-store.service';

function storeWith(store: InMemoryPluginStore, clock = new FakeClock()): AppStore {
  const context = { store, clock, log: pino({ level: 'silent' }), options: {} } as unknown as FrameworkPluginContext;
  return new AppStore(context, { ...DEFAULT_MARATHON_OPTIONS, maxVersions: 2 });
}

describe('AppStore', () => {
  it('stores apps and versions one per key, keeps max-versions, and loads them back', async () => {
    const kv = new InMemoryPluginStore();
    const apps = storeWith(kv);
    const v1 = app({ id: '/team/web.v2' });
    const v2 = restartApp(v1, Date.parse(v1.version) + 1000);
    const v3 = restartApp(v2, Date.parse(v2.version) + 1000);
    for (const v of [v1, v2, v3]) await apps.commit({ put: [v] });
    expect(kv.size('apps.')).toBe(1);
    expect(kv.size('versions.')).toBe(2);
    const loaded = storeWith(kv);
    await loaded.load();
    expect(loaded.get('/team/web.v2')?.version).toBe(v3.version);
    expect(loaded.versionIds('/team/web.v2')).toEqual([v2.version, v3.version]);
    expect((await loaded.version('/team/web.v2', v2.version))?.version).toBe(v2.version);
  });

  it('writes a change nowhere visible when the store refuses it', async () => {
    const kv = new InMemoryPluginStore();
    const apps = storeWith(kv);
    kv.failWrites = new Error('KV down');
    await expect(apps.commit({ put: [app({ id: '/x' })] })).rejects.toThrow('KV down');
    expect(apps.get('/x')).toBeUndefined();
  });

  it('finishes a change from its deployment record when the host died before storing the apps', async () => {
    const kv = new InMemoryPluginStore();
    const before = app({ id: '/a' });
    await storeWith(kv).commit({ put: [before] });
    const after = restartApp(before, Date.parse(before.version) + 1000);
    const deployment: StoredDeployment = { id: 'd1', version: after.version, original: { '/a': before }, target: { '/a': after }, steps: [{ actions: [{ action: 'RestartApplication', app: '/a' }] }], currentStep: 1, startedAt: 0 };
    await kv.put('deployments.d1', deployment);
    const recovered = storeWith(kv);
    const deployments = await recovered.load();
    expect(recovered.get('/a')?.version).toBe(before.version);
    await recovered.repairFrom(deployments[0]!);
    expect(recovered.get('/a')?.version).toBe(after.version);
  });

  it('removes an app with its versions and last failure', async () => {
    const kv = new InMemoryPluginStore();
    const clock = new FakeClock();
    const apps = storeWith(kv, clock);
    const a = app({ id: '/gone' });
    await apps.commit({ put: [a] });
    apps.recordFailure({ appId: '/gone', taskId: 't', host: 'h', state: 'FAILED', message: 'x', timestamp: 1, version: a.version });
    clock.advance(1000);
    await new Promise((r) => setImmediate(r));
    expect(kv.size('failures.')).toBe(1);
    await apps.commit({ remove: ['/gone'] });
    expect(kv.size('')).toBe(0);
  });
});
