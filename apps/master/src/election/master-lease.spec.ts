import '../testing/quiet-logs';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createLogger } from '@pando/common';
import { JetStreamKv } from '../registry/kv-bucket';
import { FakeClock } from '../testing/fake-clock';
import { NatsServerFixture } from '../testing/nats-server.fixture';
import type { LeaderInfo } from './leader-info';
import { MasterLease } from './master-lease';

const TTL = 1000; // renew every 333 ms, poll every 100 ms, a leader's grace is 900 ms
const log = createLogger('lease-spec').child({}, { level: 'silent' });

/**
 * The masters' lease against a real KV bucket; only the clock is fake. KvLease's renewal and
 * loss rules are specified once, in the framework host's plugin-lease.spec.ts; here what the
 * masters rely on: epochs, the holder seen by standbys, takeover, release by marking.
 */
describe('MasterLease', () => {
  let server: NatsServerFixture;
  let nc: NatsConnection;
  let kv: JetStreamKv;
  let clock: FakeClock;
  let events: string[];
  let key: string;
  let leases: MasterLease[];

  beforeAll(async () => {
    server = await NatsServerFixture.start();
    nc = await connect({ servers: server.url });
    kv = new JetStreamKv(await new Kvm(nc).create('lease-spec', { history: 1 }), 'lease-spec');
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });
  beforeEach(() => {
    clock = new FakeClock();
    events = [];
    leases = [];
    key = `leader-${Math.random().toString(36).slice(2, 8)}`;
  });
  afterEach(() => leases.forEach((l) => l.halt()));

  const info = (id: string): LeaderInfo => ({ masterId: id, hostname: id, port: 5050, url: `http://${id}:5050`, pid: `master@${id}:5050` });

  function lease(id: string): MasterLease {
    const made = new MasterLease({
      kv,
      key,
      me: info(id),
      ttlMs: TTL,
      clock,
      log,
      onAcquired: (epoch) => events.push(`${id} acquired ${epoch}`),
      onLost: (reason) => events.push(`${id} lost: ${reason}`),
      onLeaderSeen: (leader) => events.push(`${id} sees ${leader?.masterId ?? 'nobody'}`),
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
    await until(() => a.role === 'leader', 50);
    expect((await kv.get(key))?.value).toEqual(info('a'));
    expect(events).toEqual(['a sees a', `a acquired ${a.epoch}`]);
    expect(a.epoch).toBeGreaterThan(0);
    expect(a.leader).toEqual(info('a'));
  });

  it('keeps the lease while renewing: a standby waits and knows who leads', async () => {
    const a = lease('a');
    await until(() => a.role === 'leader', 50);
    const b = lease('b');
    await advance(5 * TTL);
    expect([a.role, b.role]).toEqual(['leader', 'standby']);
    expect(b.leader).toEqual(info('a'));
    expect(events).toContain('b sees a');
    expect(events.filter((e) => e.includes('acquired'))).toEqual([`a acquired ${a.epoch}`]);
    expect((await kv.get(key))!.revision).toBeGreaterThan(a.epoch + 10); // renewed ~15 times
  });

  it('is taken over about one ttl after the leader stopped renewing, with a higher epoch', async () => {
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
    expect(events.filter((e) => e.includes('acquired')).at(-1)).toBe(`b acquired ${b.epoch}`);
  });

  it('hands over at the next poll when the leader releases the lease', async () => {
    const a = lease('a');
    await until(() => a.role === 'leader', 50);
    const b = lease('b');
    await advance(200);
    await a.release();
    const tookMs = await until(() => b.role === 'leader', 3 * TTL);
    expect(tookMs).toBeLessThanOrEqual(110);
    expect(b.epoch).toBeGreaterThan(a.epoch);
  });

  it('leaves a lease another master holds alone when it releases late', async () => {
    const a = lease('a');
    await until(() => a.role === 'leader', 50);
    await kv.put(key, info('c'));
    await a.release();
    expect((await kv.get(key))?.value).toEqual(info('c'));
  });
});
