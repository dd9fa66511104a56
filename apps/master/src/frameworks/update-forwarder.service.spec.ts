import '../testing/quiet-logs';
import type { TaskStatus } from '@pando/protocol';
import { resourcesJson } from '../testing/factories';
import { offerHarness, type OfferHarness } from '../testing/offer-harness';

function setup(aware = false) {
  const h = offerHarness();
  const agentId = h.addAgent();
  const fw = h.subscribe({ name: 'fw', capabilities: aware ? ['PARTITION_AWARE'] : [] });
  h.tasks.addLaunched({ taskId: 't1', name: 't1', frameworkId: fw.id, agentId, resources: resourcesJson(1, 64), executor: 'command' }, h.clock.now());
  const status = (state: TaskStatus['state'], uuid: string): TaskStatus & { uuid: string } => ({
    taskId: 't1',
    frameworkId: fw.id,
    agentId,
    state,
    uuid,
    timestamp: h.clock.now(),
    source: 'SOURCE_EXECUTOR',
  });
  return { ...h, agentId, fw, status };
}

describe('UpdateForwarder', () => {
  it('acknowledges an agent update only after the framework acknowledged it, re-sending it with backoff meanwhile', () => {
    const h: OfferHarness & ReturnType<typeof setup> = setup();
    expect(h.router.fromAgent({ agentId: h.agentId, status: h.status('RUNNING', 'u1') })).toBe('applied');
    expect(h.messenger.acks).toEqual([]);
    expect(h.publisher.updatesTo(h.fw.id).map((u) => u.uuid)).toEqual(['u1']);
    h.clock.advance(1000);
    h.clock.advance(2000);
    expect(h.publisher.updatesTo(h.fw.id)).toHaveLength(3);
    // The agent re-sends meanwhile: same uuid, not forwarded again at once.
    h.router.fromAgent({ agentId: h.agentId, status: h.status('RUNNING', 'u1') });
    expect(h.publisher.updatesTo(h.fw.id)).toHaveLength(3);
    expect(h.messenger.acks).toEqual([]);
    h.calls.acknowledge(h.fw, h.agentId, 't1', 'u1');
    // Both copies are acknowledged, as they came.
    expect(h.messenger.acks).toEqual([{ agentId: h.agentId, taskId: 't1', uuid: 'u1' }, { agentId: h.agentId, taskId: 't1', uuid: 'u1' }]);
    h.clock.advance(60_000);
    expect(h.publisher.updatesTo(h.fw.id)).toHaveLength(3);
  });

  it('holds updates while the framework is disconnected and sends them when it re-subscribes', () => {
    const h = setup();
    h.lifecycle.disconnect(h.fw, 'quiet');
    h.router.fromAgent({ agentId: h.agentId, status: h.status('RUNNING', 'u1') });
    h.clock.advance(10_000);
    expect(h.publisher.updatesTo(h.fw.id)).toEqual([]);
    h.subscribe({ name: 'fw' }, 'c1', h.fw.id);
    expect(h.publisher.updatesTo(h.fw.id).map((u) => u.uuid)).toEqual(['u1']);
    expect(h.messenger.acks).toEqual([]);
    h.forwarder.acknowledge(h.fw.id, h.agentId, 't1', 'u1');
    expect(h.messenger.acks).toEqual([{ agentId: h.agentId, taskId: 't1', uuid: 'u1' }]);
  });

  it('lets agents go when the framework is removed', () => {
    const h = setup();
    h.router.fromAgent({ agentId: h.agentId, status: h.status('RUNNING', 'u1') });
    expect(h.messenger.acks).toEqual([]);
    h.lifecycle.remove(h.fw, 'torn down');
    expect(h.messenger.acks).toEqual([{ agentId: h.agentId, taskId: 't1', uuid: 'u1' }]);
  });

  it('sends acknowledgements it has nothing pending for straight to the agent (e.g. after a master restart)', () => {
    const h = setup();
    expect(h.forwarder.acknowledge(h.fw.id, h.agentId, 't1', 'old')).toBe(false);
    expect(h.messenger.acks).toEqual([{ agentId: h.agentId, taskId: 't1', uuid: 'old' }]);
  });

  it('shows master-made partition states as LOST to frameworks that are not partition-aware', () => {
    for (const aware of [false, true]) {
      const h = setup(aware);
      h.agents.expire(h.clock.now() + 1);
      for (const change of h.tasks.markAgentUnreachable(h.agentId, h.clock.now())) h.forwarder.forwardMasterUpdate(change.task, change.status);
      expect(h.publisher.updatesTo(h.fw.id).map((u) => u.state)).toEqual([aware ? 'UNREACHABLE' : 'LOST']);
      expect(h.tasks.get('t1')?.state).toBe('UNREACHABLE');
    }
  });
});
