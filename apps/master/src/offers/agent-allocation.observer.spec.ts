import '../testing/quiet-logs';
import { PROTOCOL_VERSION, type TaskInfo } from '@pando/protocol';
import { resourcesJson, taskReport } from '../testing/factories';
import { offerHarness } from '../testing/offer-harness';

function setup() {
  const h = offerHarness();
  const agentId = h.addAgent(4, 1024, 'node');
  const aware = h.subscribe({ name: 'aware', roles: ['a'], capabilities: ['PARTITION_AWARE'] });
  const legacy = h.subscribe({ name: 'legacy', roles: ['b'] }, 'c2');
  const info = (taskId: string, frameworkId: string): TaskInfo => ({ taskId, name: taskId, frameworkId, agentId, resources: resourcesJson(1, 128), executor: 'command' });
  for (const [taskId, fw] of [['kept', aware.id], ['vanished', aware.id], ['legacy-vanished', legacy.id]] as const) {
    const task = h.tasks.addLaunched(info(taskId, fw), h.clock.now());
    h.ledger.track(task, fw);
  }
  const reregister = (reports: ReturnType<typeof taskReport>[]) =>
    h.registration.register({ protocolVersion: PROTOCOL_VERSION, agentId, hostname: 'node', resources: resourcesJson(4, 1024), attributes: {}, version: 'x', executors: ['command'], tasks: reports });
  return { ...h, agentId, aware, legacy, info, reregister };
}

describe('AgentAllocationObserver', () => {
  it('rescinds the offers of an unreachable agent and offers nothing on it until it returns', () => {
    const h = setup();
    h.cycle();
    const offered = [...h.book.ofAgent(h.agentId)].map((o) => o.id);
    expect(offered.length).toBeGreaterThan(0);
    h.agents.expire(h.clock.now() + 1);
    h.observer.agentUnreachable(h.agents.get(h.agentId)!);
    expect([...h.publisher.rescindsTo(h.aware.id), ...h.publisher.rescindsTo(h.legacy.id)].sort()).toEqual(offered.sort());
    h.cycle();
    expect(h.book.size).toBe(0);
  });

  it('rebuilds a re-registering agent from its report: GONE or LOST for tasks it no longer has, the rest back and booked', () => {
    const h = setup();
    h.agents.expire(h.clock.now() + 1);
    h.tasks.markAgentUnreachable(h.agentId, h.clock.now());
    h.reregister([taskReport(h.info('kept', h.aware.id), 'RUNNING', 'u-kept')]);
    expect(h.tasks.get('vanished')?.state).toBe('GONE');
    expect(h.tasks.get('legacy-vanished')?.state).toBe('LOST');
    expect(h.publisher.updatesTo(h.aware.id).map((u) => [u.taskId, u.state, u.reason])).toEqual(
      expect.arrayContaining([
        ['vanished', 'GONE', 'REASON_AGENT_RESTARTED'],
        ['kept', 'RUNNING', 'REASON_AGENT_REREGISTERED'],
      ]),
    );
    expect(h.publisher.updatesTo(h.legacy.id).map((u) => u.state)).toEqual(['LOST']);
    expect(h.allocator.agentAvailable(h.agentId)?.scalar('cpus')).toBe(3);
    expect(h.allocator.frameworkAllocated(h.aware.id).scalar('cpus')).toBe(1);
    expect(h.allocator.frameworkAllocated(h.legacy.id).scalar('cpus')).toBe(0);
  });

  it('kills tasks an agent reports for a framework that was removed, holding their resources until they end', () => {
    const h = setup();
    h.lifecycle.remove(h.legacy, 'torn down');
    h.messenger.kills.length = 0;
    h.reregister([taskReport(h.info('kept', h.aware.id), 'RUNNING'), taskReport(h.info('zombie', h.legacy.id), 'RUNNING')]);
    expect(h.messenger.kills.map((k) => k.taskId)).toEqual(['zombie']);
    expect(h.allocator.agentAvailable(h.agentId)?.scalar('cpus')).toBe(2);
  });
});
