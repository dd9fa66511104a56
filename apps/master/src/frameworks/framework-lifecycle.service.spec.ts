import '../testing/quiet-logs';
import { PROTOCOL_VERSION, schedulerCallSchema, validate, type SchedulerCallParsed } from '@pando/protocol';
import { resourcesJson, taskInfo, taskReport } from '../testing/factories';
import { offerHarness } from '../testing/offer-harness';

type Accept = Extract<SchedulerCallParsed, { type: 'ACCEPT' }>['accept'];

function launchOne(offerId: string, taskId: string, agentId: string, cpus = 1): Accept {
  const body = {
    type: 'ACCEPT',
    frameworkId: 'x',
    accept: { offerIds: [offerId], operations: [{ type: 'LAUNCH', launch: { taskInfos: [{ taskId, name: taskId, agentId, resources: resourcesJson(cpus, 64) }] } }], filters: { refuseSeconds: 0 } },
  };
  return (validate(schedulerCallSchema, body, 'accept') as Extract<SchedulerCallParsed, { type: 'ACCEPT' }>).accept;
}

describe('FrameworkLifecycle', () => {
  it('offers nothing to a framework until its scheduler is known to listen', () => {
    const h = offerHarness();
    h.addAgent();
    const info = validate(schedulerCallSchema, { type: 'SUBSCRIBE', subscribe: { frameworkInfo: { name: 'fw' } } }, 'subscribe');
    const record = h.lifecycle.subscribe(undefined, (info as Extract<SchedulerCallParsed, { type: 'SUBSCRIBE' }>).subscribe.frameworkInfo, 'c1');
    h.cycle();
    expect(h.publisher.offersTo(record.id)).toEqual([]);
    h.lifecycle.confirmListening(record);
    expect(h.publisher.of(record.id, 'SUBSCRIBED')).toHaveLength(1);
    h.cycle();
    expect(h.publisher.offersTo(record.id)).toHaveLength(1);
  });

  it('keeps a disconnected framework\'s tasks until the failover timeout, then kills them and removes it', () => {
    const h = offerHarness();
    const agentId = h.addAgent();
    const fw = h.subscribe({ name: 'fw', failoverTimeoutSeconds: 10 });
    h.cycle();
    h.acceptor.accept(fw, launchOne([...h.book.ofFramework(fw.id)][0]!.id, 't1', agentId));
    h.cycle();
    expect(h.book.ofFramework(fw.id).size).toBe(1);
    h.lifecycle.disconnect(fw, 'gone quiet');
    expect(fw.phase).toBe('disconnected');
    expect(h.book.size).toBe(0);
    h.cycle();
    expect(h.book.size).toBe(0);
    h.clock.advance(9_000);
    expect(h.tasks.get('t1')?.state).toBe('STAGING');
    h.clock.advance(1_000);
    expect(h.tasks.get('t1')?.state).toBe('KILLED');
    expect(h.messenger.kills).toEqual([expect.objectContaining({ taskId: 't1', agentId })]);
    expect(h.frameworks.get(fw.id)).toBeUndefined();
    expect(h.frameworks.getRemoved(fw.id)?.removalReason).toMatch(/failover timeout/);
    expect(h.allocator.agentAvailable(agentId)?.scalar('cpus')).toBe(4);
    expect(() => h.subscribe({ name: 'fw' }, 'c1', fw.id)).toThrow(/was removed/);
  });

  it('resumes a framework that re-subscribes in time: tasks kept, old offers rescinded, pending updates re-sent', () => {
    const h = offerHarness();
    const agentId = h.addAgent();
    const fw = h.subscribe({ name: 'fw', failoverTimeoutSeconds: 10 });
    h.cycle();
    h.acceptor.accept(fw, launchOne([...h.book.ofFramework(fw.id)][0]!.id, 't1', agentId));
    h.cycle();
    const stale = [...h.book.ofFramework(fw.id)][0]!.id;
    h.router.fromAgent({ agentId, status: { taskId: 't1', frameworkId: fw.id, agentId, state: 'RUNNING', uuid: 'u1', timestamp: h.clock.now(), source: 'SOURCE_EXECUTOR' } });
    h.lifecycle.disconnect(fw, 'quiet');
    h.clock.advance(5_000);
    const again = h.subscribe({ name: 'fw', failoverTimeoutSeconds: 10 }, 'c2', fw.id);
    expect(again).toBe(fw);
    expect(fw.connection).toBe('c2');
    h.clock.advance(20_000);
    expect(h.tasks.get('t1')?.state).toBe('RUNNING');
    expect(h.frameworks.get(fw.id)?.phase).toBe('subscribed');
    expect(h.publisher.rescindsTo(fw.id)).not.toContain(stale); // rescinded silently at disconnection
    expect(h.publisher.updatesTo(fw.id).filter((u) => u.uuid === 'u1').length).toBeGreaterThanOrEqual(2);
  });

  it('books the tasks of a framework recovered from an agent report under its real roles once it subscribes', () => {
    const h = offerHarness();
    const report = taskReport(taskInfo('old', 'agent-7', { frameworkId: 'fw-old', resources: resourcesJson(2, 256) }), 'RUNNING', 'u1');
    h.registration.register({ ...registerFor('agent-7'), tasks: [report] });
    const recovered = h.frameworks.get('fw-old')!;
    expect(recovered.phase).toBe('recovered');
    expect(h.allocator.frameworkAllocated('fw-old').scalar('cpus')).toBe(2);
    expect(h.allocator.roleSummaries().find((r) => r.role === '*')?.allocated.scalar('cpus')).toBe(2);
    h.cycle();
    expect(h.publisher.offersTo('fw-old')).toEqual([]);
    h.subscribe({ name: 'old', roles: ['batch'] }, 'c1', 'fw-old');
    expect(h.allocator.roleSummaries().find((r) => r.role === 'batch')?.allocated.scalar('cpus')).toBe(2);
    h.cycle();
    const offered = h.publisher.offersTo('fw-old');
    expect(offered).toHaveLength(1);
    expect(offered[0]!.allocationInfo.role).toBe('batch');
  });

  it('rescinds offers in roles a framework leaves (UPDATE_FRAMEWORK)', () => {
    const h = offerHarness();
    h.addAgent();
    const fw = h.subscribe({ name: 'fw', roles: ['a'] });
    h.cycle();
    const offer = [...h.book.ofFramework(fw.id)][0]!.id;
    h.lifecycle.update(fw, validateInfo({ name: 'fw', roles: ['b'] }));
    expect(h.publisher.rescindsTo(fw.id)).toEqual([offer]);
    h.cycle();
    expect(h.publisher.offersTo(fw.id).at(-1)!.allocationInfo.role).toBe('b');
  });
});

function registerFor(agentId: string) {
  return {
    protocolVersion: PROTOCOL_VERSION,
    agentId,
    hostname: 'node-7',
    resources: resourcesJson(4, 1024),
    attributes: {},
    version: '0.1.0',
    executors: ['command'],
    tasks: [],
  };
}

function validateInfo(info: Record<string, unknown>) {
  const call = validate(schedulerCallSchema, { type: 'SUBSCRIBE', subscribe: { frameworkInfo: info } }, 'subscribe') as Extract<SchedulerCallParsed, { type: 'SUBSCRIBE' }>;
  return call.subscribe.frameworkInfo;
}
