import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createLogger } from '@pando/common';
import { FakeClock, startNatsServer, type RunningNats } from '@pando/testing';
import { KvPluginStore } from '../store/kv-plugin.store';
import { LEASES_BUCKET, PluginLease, pluginLeaseKey } from './plugin-lease';

const TTL = 1000; // renew every 333 ms, poll every 100 ms, a leader's grace is 900 ms
const log = createLogger('lease-spec').child({}, { level: 'silent' });

describe('PluginLease (real KV, fake clock)', () => {
  let nats: RunningNats;
  let nc: NatsConnection;
  let store: KvPluginStore;
  let clock: FakeClock;
  let events: string[];
  let key: string;
  let leases: PluginLease[];

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    store = new KvPluginStore(await new Kvm(nc).create(LEASES_BUCKET, { history: 1 }), LEASES_BUCKET);
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });
  beforeEach(() => {
    clock = new FakeClock();
    events = [];
    leases = [];
    key = pluginLeaseKey(`spec-${Math.random().toString(36).slice(2, 8)}`);
  });
  afterEach(() => leases.forEach((l) => l.halt()));

  function lease(holder: string): PluginLease {
    const made = new PluginLease({
      store,
      key,
      me: { holder, url: `http://${holder}:8080`, pid: 1 },
      ttlMs: TTL,
      clock,
      log,
      onAcquired: (epoch) => events.push(`${holder} acquired ${epoch}`),
      onLost: (reason) => events.push(`${holder} lost: ${reason}`),
    });
    leases.push(made);
    made.start();
    return made;
  }

  /** Moves the fake clock in 10 ms steps, letting each step's KV round trip finish. */
  async function advance(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 10) {
      clock.advance(Math.min(10, ms - t));
      await Promise.all(leases.map((l) => l.settled()));
    }
  }

  async function until(what: () => boolean, maxMs: number): Promise<number> {
    for (let t = 0; t <= maxMs; t += 10) {
      if (what()) return t;
      await advance(10);
    }
    throw new Error(`not within ${maxMs} ms of fake time`);
  }

  it('acquires a free lease at once; the epoch is the revision it was written at', async () => {
    const a = lease('a');
    await advance(0);
    await until(() => a.role === 'leader', 50);
    const stored = await store.get<{ holder: string; url: string }>(key);
    expect(stored?.value).toMatchObject({ holder: 'a', url: 'http://a:8080' });
    expect(events).toEqual([`a acquired ${a.epoch}`]);
    expect(a.epoch).toBeGreaterThan(0);
  });

  it('keeps the lease while renewing: a standby waits and knows who leads', async () => {
    const a = lease('a');
    await until(() => a.role === 'leader', 50);
    const b = lease('b');
    await advance(5 * TTL);
    expect([a.role, b.role]).toEqual(['leader', 'standby']);
    expect(b.leader?.url).toBe('http://a:8080');
    expect(events).toEqual([`a acquired ${a.epoch}`]);
    expect((await store.get(key))!.revision).toBeGreaterThan(a.epoch + 10); // renewed ~15 times
  });

  it('is taken over one ttl after the leader stopped renewing, with a higher epoch', async () => {
    const a = lease('a');
    await until(() => a.role === 'leader', 50);
    const b = lease('b');
    await advance(TTL);
    a.halt(); // crashed: no renewal, no release
    const tookMs = await until(() => b.role === 'leader', 3 * TTL);
    // The last renewal was at most 333 ms before the crash; b saw it within a poll (100 ms).
    expect(tookMs).toBeGreaterThanOrEqual(TTL - 340);
    expect(tookMs).toBeLessThanOrEqual(TTL + 2 * 100);
    expect(b.epoch).toBeGreaterThan(a.epoch);
    expect(events.at(-1)).toBe(`b acquired ${b.epoch}`);
  });

  it('stops leading when it cannot renew within 0.9 ttl', async () => {
    const a = lease('a');
    await until(() => a.role === 'leader', 50);
    // One jump: the renewal sent at 333 ms has no time to come back before the grace ends.
    clock.advance(TTL);
    expect(a.role).toBe('stopped');
    expect(events.at(-1)).toBe(`a lost: lease ${key} could not be renewed within 900 ms`);
    await a.settled();
  });

  it('stops leading at its next renewal when someone else wrote the key', async () => {
    const a = lease('a');
    await until(() => a.role === 'leader', 50);
    await store.put(key, { holder: 'intruder', url: 'http://x', pid: 2 });
    await until(() => a.role === 'stopped', 400);
    expect(events.at(-1)).toBe(`a lost: lease ${key} was taken over by another process`);
  });

  it("takes over its own host's lease at once (the previous worker exited), but not another host's", async () => {
    const a = lease('a');
    await until(() => a.role === 'leader', 50);
    a.halt();
    const again = lease('a');
    const b = lease('b');
    await until(() => again.role === 'leader', 30);
    expect(b.role).toBe('standby');
    expect(again.epoch).toBeGreaterThan(a.epoch);
  });

  it('hands over at the next poll when the leader releases the lease', async () => {
    const a = lease('a');
    await until(() => a.role === 'leader', 50);
    const b = lease('b');
    await advance(200);
    await a.release();
    expect((await store.get(key))?.value).toEqual({ released: 'host a' });
    const tookMs = await until(() => b.role === 'leader', 3 * TTL);
    expect(tookMs).toBeLessThanOrEqual(110);
  });
});
