import '../testing/quiet-logs';
import { PROTOCOL_VERSION, type TaskInfo } from '@pando/protocol';
import { Resources } from '@pando/resources';
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

  it('keeps dynamic reservations across re-registration, and records again the ones running tasks use', () => {
    const h = setup();
    const reservedJson = (text: string) =>
      Resources.parse(text)
        .toJson()
        .map((r) => ({ ...r, role: 'a', reservation: { type: 'DYNAMIC' as const, principal: 'p' } }));
    // On record already: re-applied on top of what the agent reports.
    h.agents.setDynamicReservations(h.agentId, Resources.fromJson(reservedJson('mem:256')));
    // Not on record (say the master restarted), but a running task uses it.
    const onReserved: TaskInfo = { ...h.info('on-reserved', h.aware.id), resources: reservedJson('cpus:1;mem:64') };
    h.reregister([taskReport(h.info('kept', h.aware.id), 'RUNNING'), taskReport(onReserved, 'RUNNING')]);
    const agent = h.agents.get(h.agentId)!;
    // The task's mem fits in the reservation on record; its cpus did not: recorded.
    expect(agent.dynamicReservations.equals(Resources.fromJson(reservedJson('cpus:1;mem:256')))).toBe(true);
    expect(agent.resources.equals(Resources.parse('cpus:3;mem:768').add(Resources.fromJson(reservedJson('cpus:1;mem:256'))))).toBe(true);
    // The task is booked on its reserved resources; what is left of the reservation is role a's only.
    expect(h.allocator.frameworkAllocated(h.aware.id).equals(Resources.parse('cpus:1;mem:128').add(Resources.fromJson(reservedJson('cpus:1;mem:64'))))).toBe(true);
    h.observer.agentHeartbeat(h.agentId);
    h.calls.suppress(h.aware, undefined);
    h.cycle();
    expect(Resources.fromJson(h.publisher.offersTo(h.legacy.id).at(-1)!.resources).equals(Resources.parse('cpus:2;mem:640'))).toBe(true);
  });
});
