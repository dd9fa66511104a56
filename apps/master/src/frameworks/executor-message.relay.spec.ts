import '../testing/quiet-logs';
import type { NatsConnection } from '@nats-io/transport-node';
import { resourcesJson } from '../testing/factories';
import { offerHarness } from '../testing/offer-harness';
import { ExecutorMessageRelay } from './executor-message.relay';
import type { FrameworkEventsPublisher } from './framework-events.publisher';

function setup() {
  const h = offerHarness();
  const a = h.addAgent(4, 1024, 'a');
  const b = h.addAgent(4, 1024, 'b');
  const fw = h.subscribe({ name: 'fw' });
  h.tasks.addLaunched({ taskId: 't1', name: 't1', frameworkId: fw.id, agentId: a, resources: resourcesJson(0.1, 8), executor: 'command' }, h.clock.now());
  // relay() is driven directly here; its NATS subscription is exercised by the e2e suites.
  const relay = new ExecutorMessageRelay(undefined as unknown as NatsConnection, h.agents, h.tasks, h.frameworks, h.publisher as unknown as FrameworkEventsPublisher);
  return { ...h, a, b, fw, relay };
}

describe('ExecutorMessageRelay', () => {
  it("passes a task's message on to its framework as a MESSAGE event", () => {
    const h = setup();
    h.relay.relay({ agentId: h.a, frameworkId: h.fw.id, taskId: 't1', data: 'aGk=' });
    expect(h.publisher.of(h.fw.id, 'MESSAGE')).toEqual([{ type: 'MESSAGE', message: { agentId: h.a, taskId: 't1', data: 'aGk=' } }]);
    expect(h.relay.count).toBe(1);
  });

  it('drops, with a typed error naming why, what it cannot deliver', () => {
    const h = setup();
    const why = (message: Partial<Parameters<ExecutorMessageRelay['relay']>[0]>) => {
      try {
        h.relay.relay({ agentId: h.a, frameworkId: h.fw.id, taskId: 't1', data: 'aGk=', ...message });
      } catch (err) {
        return err;
      }
      throw new Error('delivered');
    };
    expect(why({ agentId: 'ghost' })).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/agent 'ghost' is not known/) });
    expect(why({ taskId: 'ghost' })).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/task 'ghost' is not known/) });
    expect(why({ agentId: h.b })).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/runs on agent/) });
    expect(why({ frameworkId: 'other' })).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/belongs to framework/) });
    h.lifecycle.remove(h.fw, 'torn down');
    expect(why({})).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/is not connected/) });
    expect(h.publisher.of(h.fw.id, 'MESSAGE')).toEqual([]);
  });
});
