import '../testing/quiet-logs';
import type { SchedulerCallParsed, TaskSpec } from '@pando/protocol';
import { schedulerCallSchema, validate } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { offerHarness, type OfferHarness } from '../testing/offer-harness';
import { resourcesJson } from '../testing/factories';

type Accept = Extract<SchedulerCallParsed, { type: 'ACCEPT' }>['accept'];

function accept(offerIds: string[], operations: unknown[], refuseSeconds = 0): Accept {
  const call = validate(schedulerCallSchema, { type: 'ACCEPT', frameworkId: 'fw', accept: { offerIds, operations, filters: { refuseSeconds } } }, 'accept');
  return (call as Extract<SchedulerCallParsed, { type: 'ACCEPT' }>).accept;
}

function task(taskId: string, agentId: string, cpus = 1, mem = 128, extra: Partial<TaskSpec> = {}): TaskSpec {
  return { taskId, name: taskId, agentId, resources: resourcesJson(cpus, mem), command: { value: 'sleep 1' }, ...extra };
}

const launch = (tasks: TaskSpec[]) => ({ type: 'LAUNCH', launch: { taskInfos: tasks } });
const group = (tasks: TaskSpec[]) => ({ type: 'LAUNCH_GROUP', launchGroup: { taskGroup: { tasks } } });

function setup(): OfferHarness & { agentId: string; fw: ReturnType<OfferHarness['subscribe']>; offerId: () => string } {
  const h = offerHarness();
  const agentId = h.addAgent(4, 1024);
  const fw = h.subscribe({ name: 'web', roles: ['web'] });
  h.cycle();
  const offerId = () => {
    const offers = [...h.book.ofFramework(fw.id)];
    if (offers.length === 0) throw new Error('no offer');
    return offers[0]!.id;
  };
  return { ...h, agentId, fw, offerId };
}

describe('AcceptService', () => {
  it('launches tasks from an offer (STAGING, one launch message per LAUNCH task) and recovers the rest', () => {
    const h = setup();
    const offerId = h.offerId();
    const result = h.acceptor.accept(h.fw, accept([offerId], [launch([task('t1', h.agentId), task('t2', h.agentId)])]));
    expect(result).toEqual({ refusedOffers: [], launched: 2, refusedTasks: 0 });
    expect(h.tasks.get('t1')?.state).toBe('STAGING');
    expect(h.messenger.launches.map((l) => l.tasks.map((t) => t.taskId))).toEqual([['t1'], ['t2']]);
    expect(h.messenger.launches[0]!.tasks[0]).toMatchObject({ frameworkId: h.fw.id, agentId: h.agentId });
    expect(h.book.size).toBe(0);
    // 2 cpus used: the allocator has the other 2 free again, and holds the used ones for the framework.
    expect(h.allocator.agentAvailable(h.agentId)?.scalar('cpus')).toBe(2);
    expect(h.allocator.frameworkAllocated(h.fw.id).scalar('cpus')).toBe(2);
    h.cycle();
    expect(Resources.fromJson(h.publisher.offersTo(h.fw.id).at(-1)!.resources).scalar('cpus')).toBe(2);
  });

  it('refuses stale and foreign offers one by one and uses the rest', () => {
    const h = setup();
    const used = h.offerId();
    h.acceptor.accept(h.fw, accept([used], [launch([task('t1', h.agentId, 0.5)])]));
    const other = h.subscribe({ name: 'other', roles: ['other'] }, 'c2');
    h.cycle();
    const othersOffer = [...h.book.ofFramework(other.id)][0]!.id;
    h.offers.decline(other.id, [othersOffer], { refuseSeconds: 60 });
    h.cycle();
    const fresh = h.offerId();
    const result = h.acceptor.accept(h.fw, accept([used, 'nope', fresh], [launch([task('t2', h.agentId, 0.5)])]));
    expect(result.refusedOffers.map((r) => r.offerId)).toEqual([used, 'nope']);
    expect(result.launched).toBe(1);
  });

  it('leaves another framework\'s offer alone', () => {
    const h = setup();
    const theirs = h.offerId();
    const intruder = h.subscribe({ name: 'intruder' }, 'c2');
    const result = h.acceptor.accept(intruder, accept([theirs], [launch([task('t1', h.agentId)])]));
    expect(result.refusedOffers).toEqual([{ offerId: theirs, reason: 'offer belongs to another framework' }]);
    expect(h.book.get(theirs)).toBeDefined();
    expect(h.publisher.updatesTo(intruder.id)).toEqual([expect.objectContaining({ taskId: 't1', state: 'LOST', reason: 'REASON_INVALID_OFFERS' })]);
  });

  it('answers bad tasks with TASK_ERROR (no uuid) and launches the good ones', () => {
    const h = setup();
    h.acceptor.accept(h.fw, accept([h.offerId()], [launch([task('good', h.agentId, 3)])]));
    h.cycle();
    const result = h.acceptor.accept(
      h.fw,
      accept(
        [h.offerId()],
        [
          launch([
            task('fits', h.agentId, 0.5),
            task('big', h.agentId, 2),
            task('good', h.agentId, 0.1),
            task('elsewhere', 'other-agent', 0.1),
            task('docker', h.agentId, 0.1, 32, { executor: 'docker' }),
            task('fits', h.agentId, 0.1),
          ]),
        ],
      ),
    );
    expect(result).toMatchObject({ launched: 1, refusedTasks: 5 });
    const updates = h.publisher.updatesTo(h.fw.id);
    const why = (id: string) => updates.filter((u) => u.taskId === id && u.state === 'ERROR').map((u) => u.message).join(' | ');
    expect(why('big')).toMatch(/exceed what the offers have left/);
    expect(why('good')).toMatch(/already in use/);
    expect(why('elsewhere')).toMatch(/names agent 'other-agent'/);
    expect(why('docker')).toMatch(/executor 'docker' is not available/);
    expect(why('fits')).toMatch(/used twice/);
    for (const update of updates) expect(update).toMatchObject({ source: 'SOURCE_MASTER', reason: 'REASON_TASK_INVALID' });
    for (const update of updates) expect(update.uuid).toBeUndefined();
    expect(h.tasks.get('big')).toBeUndefined();
  });

  it('launches a task group whole in one message, or refuses it whole', () => {
    const h = setup();
    const refused = h.acceptor.accept(h.fw, accept([h.offerId()], [group([task('g1', h.agentId, 1), task('g2', h.agentId, 9)])]));
    expect(refused).toMatchObject({ launched: 0, refusedTasks: 2 });
    expect(h.messenger.launches).toEqual([]);
    expect(h.allocator.agentAvailable(h.agentId)?.scalar('cpus')).toBe(4);
    h.cycle();
    const ok = h.acceptor.accept(h.fw, accept([h.offerId()], [group([task('g3', h.agentId, 1), task('g4', h.agentId, 1)])]));
    expect(ok.launched).toBe(2);
    expect(h.messenger.launches.map((l) => l.tasks.map((t) => t.taskId))).toEqual([['g3', 'g4']]);
  });

  it('uses several offers of one agent together, and refuses offers of several agents', () => {
    const h = offerHarness();
    const a = h.addAgent(2, 512, 'a');
    const b = h.addAgent(2, 512, 'b');
    const fw = h.subscribe({ name: 'fw' });
    h.cycle();
    const [oa, ob] = [a, b].map((agentId) => [...h.book.ofAgent(agentId)][0]!.id);
    const result = h.acceptor.accept(fw, accept([oa!, ob!], [launch([task('x', a, 1)])]));
    expect(result).toMatchObject({ launched: 0, refusedTasks: 1 });
    expect(h.publisher.updatesTo(fw.id)).toEqual([expect.objectContaining({ taskId: 'x', state: 'LOST', message: expect.stringMatching(/several agents/) })]);
    expect(h.allocator.agentAvailable(a)?.scalar('cpus')).toBe(2);
  });

  it('rescinds the offers of an agent that becomes unreachable, and recovers them', () => {
    const h = setup();
    const offerId = h.offerId();
    const agent = h.agents.get(h.agentId)!;
    h.agents.expire(h.clock.now() + 1);
    h.observer.agentUnreachable(agent);
    expect(h.publisher.rescindsTo(h.fw.id)).toEqual([offerId]);
    expect(h.book.size).toBe(0);
    h.cycle();
    expect(h.book.size).toBe(0);
  });

  it('refuses RESERVE and UNRESERVE before touching anything', () => {
    const h = setup();
    const offerId = h.offerId();
    expect(() => h.acceptor.accept(h.fw, accept([offerId], [{ type: 'RESERVE', reserve: { resources: resourcesJson(1, 1) } }]))).toThrow(/not supported/);
    expect(h.book.get(offerId)).toBeDefined();
  });
});
