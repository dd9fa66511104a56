import '../testing/quiet-logs';
import type { SchedulerCallParsed, TaskSpec } from '@pando/protocol';
import { schedulerCallSchema, validate } from '@pando/protocol';
import { Resources, type ResourceJson } from '@pando/resources';
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
  it('launches tasks from an offer (STAGING, a group per LAUNCH task, all in one message) and recovers the rest', () => {
    const h = setup();
    const offerId = h.offerId();
    const result = h.acceptor.accept(h.fw, accept([offerId], [launch([task('t1', h.agentId), task('t2', h.agentId)])]));
    expect(result).toEqual({ refusedOffers: [], launched: 2, refusedTasks: 0, refusedOperations: [] });
    expect(h.tasks.get('t1')?.state).toBe('STAGING');
    expect(h.messenger.launches.map((l) => l.tasks.map((t) => t.taskId))).toEqual([['t1'], ['t2']]);
    expect(h.messenger.launchMessages).toBe(1);
    // Copies asking for the same resources share one parse (the master holds it for each live task).
    expect(h.tasks.get('t1')!.resources).toBe(h.tasks.get('t2')!.resources);
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

});

/** `text` as reserved dynamically to `role` (with `principal`, when given): the RESERVE wire form. */
function reserved(role: string, text: string, principal?: string): ResourceJson[] {
  return Resources.parse(text)
    .toJson()
    .map((r) => ({ ...r, role, reservation: principal === undefined ? { type: 'DYNAMIC' as const } : { type: 'DYNAMIC' as const, principal } }));
}
const reserve = (resources: ResourceJson[]) => ({ type: 'RESERVE', reserve: { resources } });
const unreserve = (resources: ResourceJson[]) => ({ type: 'UNRESERVE', unreserve: { resources } });

function reservationSetup() {
  const h = offerHarness();
  const agentId = h.addAgent(4, 1024);
  const web = h.subscribe({ name: 'web', roles: ['web'], principal: 'alice' });
  const offerOf = (fw: { id: string }) => {
    const offers = [...h.book.ofFramework(fw.id)];
    if (offers.length !== 1) throw new Error(`${offers.length} offers`);
    return offers[0]!;
  };
  return { ...h, agentId, web, offerOf };
}

describe('AcceptService reservations', () => {
  it('RESERVEs part of an offer and LAUNCHes on it in the same ACCEPT; the rest goes back, still reserved', () => {
    const h = reservationSetup();
    h.cycle();
    const offer = h.offerOf(h.web);
    // The framework's principal is filled in when the reservation names none.
    const result = h.acceptor.accept(
      h.web,
      accept(
        [offer.id],
        [reserve(reserved('web', 'cpus:2;mem:512')), launch([{ ...task('on-reserved', h.agentId), resources: reserved('web', 'cpus:1;mem:128', 'alice') }])],
      ),
    );
    expect(result).toMatchObject({ launched: 1, refusedTasks: 0, refusedOperations: [] });
    const made = Resources.fromJson(reserved('web', 'cpus:2;mem:512', 'alice'));
    const agent = h.agents.get(h.agentId)!;
    expect(agent.dynamicReservations.equals(made)).toBe(true);
    expect(agent.resources.equals(Resources.parse('cpus:2;mem:512').add(made))).toBe(true);
    expect(agent.stateJson().reserved).toEqual({ web: { cpus: 2, mem: 512, disk: 0, gpus: 0 } });
    expect(h.tasks.get('on-reserved')!.resources.equals(Resources.fromJson(reserved('web', 'cpus:1;mem:128', 'alice')))).toBe(true);
    // The task holds its reserved share; the rest is back, offered again to the role.
    expect(h.allocator.frameworkAllocated(h.web.id).equals(Resources.fromJson(reserved('web', 'cpus:1;mem:128', 'alice')))).toBe(true);
    h.cycle();
    const again = h.offerOf(h.web).resources;
    expect(again.equals(Resources.parse('cpus:2;mem:512').add(Resources.fromJson(reserved('web', 'cpus:1;mem:384', 'alice'))))).toBe(true);
  });

  it('offers reserved resources only to frameworks in the role, even after the reserving framework is gone', () => {
    const h = reservationSetup();
    h.cycle();
    h.acceptor.accept(h.web, accept([h.offerOf(h.web).id], [reserve(reserved('web', 'cpus:3;mem:256'))]));
    h.lifecycle.remove(h.web, 'torn down by its scheduler');
    const other = h.subscribe({ name: 'other', roles: ['batch'] }, 'c2');
    h.cycle();
    expect(h.offerOf(other).resources.equals(Resources.parse('cpus:1;mem:768'))).toBe(true);
    const web2 = h.subscribe({ name: 'web-2', roles: ['web'] }, 'c3');
    h.cycle();
    expect(h.offerOf(web2).resources.equals(Resources.fromJson(reserved('web', 'cpus:3;mem:256', 'alice')))).toBe(true);
    expect(h.agents.get(h.agentId)!.dynamicReservations.isEmpty()).toBe(false);
  });

  it('UNRESERVEs dynamically reserved resources back into the general pool', () => {
    const h = reservationSetup();
    h.cycle();
    h.acceptor.accept(h.web, accept([h.offerOf(h.web).id], [reserve(reserved('web', 'cpus:3;mem:256'))], 0));
    h.cycle();
    const offer = h.offerOf(h.web);
    const result = h.acceptor.accept(h.web, accept([offer.id], [unreserve(reserved('web', 'cpus:3;mem:256', 'alice'))], 0));
    expect(result.refusedOperations).toEqual([]);
    const agent = h.agents.get(h.agentId)!;
    expect(agent.dynamicReservations.isEmpty()).toBe(true);
    expect(agent.resources.equals(Resources.parse('cpus:4;mem:1024'))).toBe(true);
    expect(h.allocator.agentAvailable(h.agentId)!.equals(Resources.parse('cpus:4;mem:1024'))).toBe(true);
    const other = h.subscribe({ name: 'other', roles: ['batch'] }, 'c2');
    h.calls.suppress(h.web, undefined);
    h.cycle();
    expect(h.offerOf(other).resources.equals(Resources.parse('cpus:4;mem:1024'))).toBe(true);
  });

  it('refuses a bad RESERVE or UNRESERVE whole, naming every problem, changes nothing and returns the offer', () => {
    const h = reservationSetup();
    h.cycle();
    const offer = h.offerOf(h.web);
    const result = h.acceptor.accept(
      h.web,
      accept(
        [offer.id],
        [
          reserve(reserved('web', 'cpus:5')),
          reserve([...reserved('db', 'cpus:1'), ...reserved('web', 'mem:1', 'mallory'), { name: 'mem', type: 'SCALAR', scalar: { value: 1 }, role: 'web', reservation: { type: 'STATIC' } }]),
          reserve(Resources.parse('cpus:1').toJson()),
          unreserve(Resources.parse('cpus:1').toJson()),
          unreserve(reserved('web', 'cpus:1', 'alice')),
          unreserve(Resources.parse('cpus(web):1').toJson()),
        ],
        0,
      ),
    );
    expect(result.refusedOperations.map((r) => [r.index, r.type, r.error.code])).toEqual([
      [0, 'RESERVE', 'INPUT'],
      [1, 'RESERVE', 'INPUT'],
      [2, 'RESERVE', 'INPUT'],
      [3, 'UNRESERVE', 'INPUT'],
      [4, 'UNRESERVE', 'INPUT'],
      [5, 'UNRESERVE', 'INPUT'],
    ]);
    const [more, several, noRole, notReserved, notMade, staticOne] = result.refusedOperations.map((r) => r.error);
    expect(more!.message).toMatch(/RESERVE refused: reserving 'cpus:5' for role 'web' exceeds what the offers made in role 'web' hold unreserved \('cpus:4;mem:1024'\)/);
    expect(several!.details).toEqual([
      "resources[0] (cpus): role 'db' is not one of the framework's roles (web)",
      "resources[1] (mem): the reservation names principal 'mallory', not the framework's principal 'alice'",
      "resources[2] (mem): RESERVE makes DYNAMIC reservations (static ones come from the agent's resources)",
    ]);
    expect(noRole!.message).toMatch(/names no role to reserve for/);
    expect(notReserved!.message).toMatch(/resources\[0\] \(cpus\) is not reserved/);
    expect(notMade!.message).toMatch(/'cpus\(web,.*\):1' is not in what the offers have left.*is not a dynamic reservation of agent/);
    expect(staticOne!.message).toMatch(/statically/);
    // Nothing changed, and the whole offer is back.
    const agent = h.agents.get(h.agentId)!;
    expect(agent.dynamicReservations.isEmpty()).toBe(true);
    expect(agent.resources.equals(Resources.parse('cpus:4;mem:1024'))).toBe(true);
    expect(h.allocator.agentAvailable(h.agentId)!.equals(Resources.parse('cpus:4;mem:1024'))).toBe(true);
    h.cycle();
    expect(h.offerOf(h.web).resources.equals(Resources.parse('cpus:4;mem:1024'))).toBe(true);
  });

  it('lets later operations of the ACCEPT go on after a refused one, each against what is left', () => {
    const h = reservationSetup();
    h.cycle();
    const offer = h.offerOf(h.web);
    const result = h.acceptor.accept(
      h.web,
      accept([offer.id], [launch([task('first', h.agentId, 3)]), reserve(reserved('web', 'cpus:2')), reserve(reserved('web', 'cpus:1'))], 0),
    );
    expect(result).toMatchObject({ launched: 1, refusedOperations: [expect.objectContaining({ index: 1 })] });
    expect(result.refusedOperations[0]!.error.message).toMatch(/exceeds what the offers have left unreserved \('cpus:1;mem:896'\)/);
    expect(h.agents.get(h.agentId)!.dynamicReservations.equals(Resources.fromJson(reserved('web', 'cpus:1', 'alice')))).toBe(true);
  });

  it('reserves for the role the offer was made in, for a framework in several roles', () => {
    const h = offerHarness();
    const agentId = h.addAgent(4, 1024);
    const multi = h.subscribe({ name: 'multi', roles: ['a', 'b'] });
    h.cycle();
    const [offer] = [...h.book.ofFramework(multi.id)];
    const elsewhere = offer!.role === 'a' ? 'b' : 'a';
    const refused = h.acceptor.accept(multi, accept([offer!.id], [reserve(reserved(elsewhere, 'cpus:1'))], 0));
    expect(refused.refusedOperations[0]!.error.message).toMatch(new RegExp(`none of the offers was made in role '${elsewhere}'`));
    h.cycle();
    const [next] = [...h.book.ofFramework(multi.id)];
    const ok = h.acceptor.accept(multi, accept([next!.id], [reserve(reserved(next!.role, 'cpus:1'))], 0));
    expect(ok.refusedOperations).toEqual([]);
    expect(h.agents.get(agentId)!.stateJson().reserved).toEqual({ [next!.role]: { cpus: 1, mem: 0, disk: 0, gpus: 0 } });
    expect(h.allocator.roleSummaries().find((r) => r.role === next!.role)?.allocated.isEmpty()).toBe(true);
  });

  it('refuses reservation operations when no offer is usable', () => {
    const h = reservationSetup();
    const result = h.acceptor.accept(h.web, accept(['gone'], [reserve(reserved('web', 'cpus:1'))]));
    expect(result.refusedOffers.map((r) => r.offerId)).toEqual(['gone']);
    expect(result.refusedOperations).toEqual([expect.objectContaining({ index: 0, type: 'RESERVE', error: expect.objectContaining({ code: 'CONFLICT' }) })]);
  });
});
