import '../testing/quiet-logs';
import type { NatsConnection } from '@nats-io/transport-node';
import { frameworkInfoSchema, validate } from '@pando/protocol';
import { offerHarness } from '../testing/offer-harness';
import type { FrameworkEventsPublisher } from './framework-events.publisher';
import { FrameworkHeartbeats } from './framework-heartbeat.service';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function setup() {
  const h = offerHarness({ frameworkHeartbeatIntervalMs: 1000 });
  const nc = { status: () => ({ [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => undefined) }) }) } as unknown as NatsConnection;
  const heartbeats = new FrameworkHeartbeats(nc, h.frameworks, h.lifecycle, h.publisher as unknown as FrameworkEventsPublisher, h.options, h.clock);
  const subscribeOnly = () => h.lifecycle.subscribe(undefined, validate(frameworkInfoSchema, { name: 'fw' }, 'info'), 'c1');
  return { ...h, heartbeats, subscribeOnly };
}

describe('FrameworkHeartbeats', () => {
  it('confirms a new framework as listening once its driver answers a probe', async () => {
    const h = setup();
    h.publisher.answering = false;
    const record = h.subscribeOnly();
    h.heartbeats.probe(record);
    await flush();
    expect(record.listening).toBe(false);
    h.publisher.answering = true;
    h.clock.advance(10);
    await flush();
    expect(record.listening).toBe(true);
    expect(h.publisher.of(record.id, 'SUBSCRIBED')).toHaveLength(1);
    h.heartbeats.onModuleDestroy();
  });

  it('disconnects a framework that leaves two heartbeats in a row unanswered', async () => {
    const h = setup();
    const record = h.subscribe({ name: 'fw' });
    h.heartbeats.startLeading();
    h.publisher.answering = false;
    h.clock.advance(1000);
    await flush();
    expect(record.phase).toBe('subscribed');
    expect(record.missedHeartbeats).toBe(1);
    h.publisher.answering = true;
    h.clock.advance(1000);
    await flush();
    expect(record.missedHeartbeats).toBe(0);
    h.publisher.answering = false;
    h.clock.advance(1000);
    await flush();
    h.clock.advance(1000);
    await flush();
    expect(record.phase).toBe('disconnected');
    h.heartbeats.onModuleDestroy();
  });

  it('disconnects a framework whose driver never starts listening', async () => {
    const h = setup();
    h.publisher.answering = false;
    const record = h.subscribeOnly();
    h.heartbeats.probe(record);
    for (let i = 0; i < 40; i++) {
      h.clock.advance(100);
      await flush();
    }
    expect(record.phase).toBe('disconnected');
    h.heartbeats.onModuleDestroy();
  });
});
