import { UnavailableError } from '@pando/common';
import { FakeClock } from '@pando/testing';
import { aStatus, anOffer, pause, recordingScheduler, until, useDriverHarness } from './driver-spec.fixture';

jest.setTimeout(20_000);

describe('SchedulerDriver sessions against a scripted master on a real nats-server', () => {
  const { scriptedMaster, driverFor } = useDriverHarness();

  it('subscribes without an id, adopts the one assigned, then reconciles implicitly', async () => {
    const master = await scriptedMaster({ epoch: 3 });
    const { scheduler, rec } = recordingScheduler();
    const driver = await driverFor(scheduler);

    const info = await driver.start();

    expect(info).toEqual({ frameworkId: 'fw-1', masterId: 'scripted-master', epoch: 3, reconnected: false });
    expect(driver.frameworkId).toBe('fw-1');
    expect(driver.state).toBe('subscribed');
    const [subscribe] = master.callsOf('SUBSCRIBE');
    expect(subscribe.frameworkId).toBeUndefined();
    expect(subscribe.subscribe.frameworkInfo).toMatchObject({ name: 'spec-framework', failoverTimeoutSeconds: 60 });
    const reconcile = await until(() => master.callsOf('RECONCILE')[0], 'implicit RECONCILE');
    expect(reconcile).toEqual({ type: 'RECONCILE', frameworkId: 'fw-1', reconcile: { tasks: [] } });
    // The SUBSCRIBED event that follows the reply announces the same subscription: one callback.
    await pause(100);
    expect(rec.subscribed).toHaveLength(1);
  });

  it('resumes a known framework id (failover) and hears events published before the SUBSCRIBE reply', async () => {
    const master = await scriptedMaster();
    master.beforeSubscribeReply = (id) => {
      master.publish(id, { type: 'SUBSCRIBED', subscribed: { frameworkId: id, heartbeatIntervalSeconds: 15, masterId: 'scripted-master' } });
      master.publish(id, { type: 'OFFERS', offers: [anOffer('o-early', id)] });
    };
    const { scheduler, rec } = recordingScheduler();
    const driver = await driverFor(scheduler, { id: 'fw-kept' });

    await driver.start();

    expect(master.callsOf('SUBSCRIBE')[0]).toMatchObject({ frameworkId: 'fw-kept', subscribe: { frameworkInfo: { id: 'fw-kept' } } });
    await until(() => rec.offers.length === 1, 'the early offer');
    await pause(50);
    expect(rec.trace).toEqual(['subscribed:false', 'offers:o-early']);
  });

  it('keeps events that overtake the SUBSCRIBE reply and delivers them after subscribed', async () => {
    const master = await scriptedMaster({ subscribedEvent: false });
    master.beforeSubscribeReply = (id) => {
      master.publish(id, { type: 'OFFERS', offers: [anOffer('o-overtaking', id)] });
      master.publish(id, { type: 'UPDATE', update: { status: aStatus('t-overtaking', id, 'u-1') } });
    };
    const { scheduler, rec } = recordingScheduler();
    const driver = await driverFor(scheduler, { id: 'fw-kept' });

    await driver.start();

    await until(() => rec.trace.length === 3, 'three callbacks');
    expect(rec.trace).toEqual(['subscribed:false', 'offers:o-overtaking', 'update:t-overtaking:RUNNING']);
    await until(() => master.callsOf('ACKNOWLEDGE').length === 1, 'ack of the overtaking update');
  });

  it('answers heartbeat requests, and stops answering once stopped with failover', async () => {
    const master = await scriptedMaster();
    const driver = await driverFor(recordingScheduler().scheduler);
    await driver.start();

    await expect(master.heartbeatRequest('fw-1')).resolves.toEqual({ ok: true });

    await driver.stop({ failover: true });
    await expect(master.heartbeatRequest('fw-1', 300)).rejects.toThrow();
    expect(master.callsOf('TEARDOWN')).toHaveLength(0);
  });

  it('ignores events from an older epoch and adopts a newer one', async () => {
    const master = await scriptedMaster({ epoch: 5 });
    const { scheduler, rec } = recordingScheduler();
    const driver = await driverFor(scheduler);
    await driver.start();

    master.publish('fw-1', { type: 'OFFERS', epoch: 4, offers: [anOffer('stale', 'fw-1')] });
    master.publish('fw-1', { type: 'OFFERS', epoch: 5, offers: [anOffer('current', 'fw-1')] });
    master.publish('fw-1', { type: 'OFFERS', epoch: 7, offers: [anOffer('newer', 'fw-1')] });
    master.publish('fw-1', { type: 'OFFERS', epoch: 5, offers: [anOffer('old-again', 'fw-1')] });
    master.publish('fw-1', { type: 'OFFERS', epoch: 7, offers: [anOffer('last', 'fw-1')] });

    await until(() => rec.offers.length === 3, 'three offers');
    await pause(50);
    expect(rec.offers.map((o) => o[0].id)).toEqual(['current', 'newer', 'last']);
    expect(driver.epoch).toBe(7);
  });

  it('acknowledges an update only after its callback resolves, and never one that threw or had no uuid', async () => {
    const master = await scriptedMaster();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { scheduler } = recordingScheduler({
      update: async (_d, status) => {
        if (status.taskId === 'slow') await gate;
        if (status.taskId === 'broken') throw new Error('scheduler bug');
      },
    });
    const driver = await driverFor(scheduler);
    await driver.start();

    master.publish('fw-1', { type: 'UPDATE', update: { status: aStatus('slow', 'fw-1', 'u-slow') } });
    await pause(200);
    expect(master.callsOf('ACKNOWLEDGE')).toHaveLength(0);
    release();
    await until(() => master.callsOf('ACKNOWLEDGE').length === 1, 'ack of the slow update');

    master.publish('fw-1', { type: 'UPDATE', update: { status: aStatus('broken', 'fw-1', 'u-broken') } });
    master.publish('fw-1', { type: 'UPDATE', update: { status: aStatus('no-uuid', 'fw-1') } });
    master.publish('fw-1', { type: 'UPDATE', update: { status: aStatus('fine', 'fw-1', 'u-fine') } });
    await until(() => master.callsOf('ACKNOWLEDGE').length === 2, 'ack of the fine update');
    await pause(100);

    expect(master.callsOf('ACKNOWLEDGE').map((c) => c.acknowledge)).toEqual([
      { agentId: 'agent-1', taskId: 'slow', uuid: 'u-slow' },
      { agentId: 'agent-1', taskId: 'fine', uuid: 'u-fine' },
    ]);
  });

  it('delivers a batched UPDATE one status at a time and acknowledges what one turn processed in one call', async () => {
    const master = await scriptedMaster();
    const seen: string[] = [];
    const { scheduler } = recordingScheduler({
      update: async (_d, status) => {
        seen.push(status.taskId);
        if (status.taskId === 'broken') throw new Error('scheduler bug');
      },
    });
    const driver = await driverFor(scheduler);
    await driver.start();

    const statuses = ['a', 'broken', 'b', 'c'].map((id) => ({ status: aStatus(id, 'fw-1', `u-${id}`) }));
    master.publish('fw-1', { type: 'UPDATE', updates: statuses });
    await until(() => master.acknowledgements().length === 3, 'acks of the processed updates');
    await pause(100);
    expect(seen).toEqual(['a', 'broken', 'b', 'c']);
    expect(master.callsOf('ACKNOWLEDGE')).toHaveLength(1);
    expect(master.acknowledgements().map((a) => a.uuid)).toEqual(['u-a', 'u-b', 'u-c']);
  });

  it('delivers events one at a time, in arrival order, even with async callbacks', async () => {
    const master = await scriptedMaster();
    let active = 0;
    let maxActive = 0;
    const seen: string[] = [];
    const { scheduler } = recordingScheduler({
      offers: async (_d, offers) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await pause(Math.random() * 10);
        seen.push(offers[0].id);
        active--;
      },
      update: async (_d, status) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await pause(Math.random() * 10);
        seen.push(status.taskId);
        active--;
      },
    });
    const driver = await driverFor(scheduler);
    await driver.start();

    const expected: string[] = [];
    for (let i = 0; i < 30; i++) {
      if (i % 3 === 0) master.publish('fw-1', { type: 'UPDATE', update: { status: aStatus(`t${i}`, 'fw-1') } });
      else master.publish('fw-1', { type: 'OFFERS', offers: [anOffer(`o${i}`, 'fw-1')] });
      expected.push(i % 3 === 0 ? `t${i}` : `o${i}`);
    }

    await until(() => seen.length === 30, 'thirty events');
    expect(seen).toEqual(expected);
    expect(maxActive).toBe(1);
  });

  it('on master loss calls disconnected once, re-subscribes with the same id when it is back, then reconciles', async () => {
    const master = await scriptedMaster({ heartbeatIntervalSeconds: 0.1 });
    const { scheduler, rec } = recordingScheduler();
    const driver = await driverFor(scheduler);
    await driver.start();
    await until(() => master.callsOf('RECONCILE').length === 1, 'first reconcile');

    await master.stop();
    await until(() => rec.disconnected === 1, 'disconnected', 3000);
    expect(driver.state).toBe('subscribing');
    await expect(driver.revive()).rejects.toBeInstanceOf(UnavailableError);
    // Several backoff rounds go by without a master: still one `disconnected`.
    await pause(1000);
    expect(rec.disconnected).toBe(1);

    await master.start();
    await until(() => rec.subscribed.length === 2, 're-subscribed', 8000);
    expect(rec.subscribed[1]).toMatchObject({ frameworkId: 'fw-1', reconnected: true });
    expect(master.callsOf('SUBSCRIBE').map((c) => c.frameworkId)).toEqual([undefined, 'fw-1']);
    await until(() => master.callsOf('RECONCILE').length === 2, 'implicit reconcile after re-subscribing');
    expect(rec.trace.slice(0, 3)).toEqual(['subscribed:false', 'disconnected', 'subscribed:true']);
    // Heartbeats flow again: no new loss.
    await pause(500);
    expect(rec.disconnected).toBe(1);
  });

  it('treats a call that finds no master as master loss', async () => {
    const master = await scriptedMaster();
    const { scheduler, rec } = recordingScheduler();
    const driver = await driverFor(scheduler);
    await driver.start();

    await master.stop();
    await expect(driver.suppress()).rejects.toBeInstanceOf(UnavailableError);
    await until(() => rec.disconnected === 1, 'disconnected');

    await master.start();
    await until(() => rec.subscribed.length === 2, 're-subscribed');
    await expect(driver.suppress()).resolves.toEqual({ ok: true });
  });

  it('does not take a slow answer for master loss: the call fails, the framework stays subscribed', async () => {
    const master = await scriptedMaster();
    const { scheduler, rec } = recordingScheduler();
    const driver = await driverFor(scheduler);
    await driver.start();

    master.replyDelayMs = (call) => (call.type === 'SUPPRESS' ? 1500 : 0);
    await expect(driver.suppress()).rejects.toBeInstanceOf(UnavailableError);
    expect(rec.disconnected).toBe(0);
    expect(driver.state).toBe('subscribed');
    await expect(driver.revive()).resolves.toEqual({ ok: true });
  });

  it('detects silence with the clock it is given: 3 heartbeat intervals', async () => {
    const master = await scriptedMaster({ heartbeatIntervalSeconds: 10, heartbeats: false });
    const clock = new FakeClock();
    const { scheduler, rec } = recordingScheduler();
    const driver = await driverFor(scheduler, { clock });
    await driver.start();

    clock.advance(29_000);
    master.publish('fw-1', { type: 'HEARTBEAT' });
    await until(() => master.callsOf('RECONCILE').length === 1, 'reconcile');
    await pause(100);
    clock.advance(29_000);
    expect(rec.disconnected).toBe(0);

    clock.advance(1_000);
    await until(() => rec.disconnected === 1, 'disconnected');
    // The master is still there: the first re-SUBSCRIBE (immediate) succeeds.
    await until(() => rec.subscribed.length === 2, 're-subscribed');
    expect(master.callsOf('SUBSCRIBE').map((c) => c.frameworkId)).toEqual([undefined, 'fw-1']);
  });

  it('keeps retrying the first SUBSCRIBE until a master answers', async () => {
    const master = await scriptedMaster();
    await master.stop();
    const { scheduler, rec } = recordingScheduler();
    const driver = await driverFor(scheduler);

    const started = driver.start();
    await pause(400);
    expect(driver.state).toBe('subscribing');
    await expect(driver.revive()).rejects.toBeInstanceOf(UnavailableError);
    await master.start();

    await expect(started).resolves.toMatchObject({ frameworkId: 'fw-1', reconnected: false });
    expect(rec.disconnected).toBe(0);
  });
});
