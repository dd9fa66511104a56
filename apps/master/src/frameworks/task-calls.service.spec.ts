import '../testing/quiet-logs';
import { resourcesJson } from '../testing/factories';
import { offerHarness } from '../testing/offer-harness';

function setup() {
  const h = offerHarness();
  const a = h.addAgent(4, 1024, 'a');
  const b = h.addAgent(4, 1024, 'b');
  const fw = h.subscribe({ name: 'fw', roles: ['x', 'y'], capabilities: ['PARTITION_AWARE'] });
  const other = h.subscribe({ name: 'other' }, 'c2');
  const add = (taskId: string, frameworkId: string, agentId: string, killGracePeriodMs?: number) =>
    h.tasks.addLaunched({ taskId, name: taskId, frameworkId, agentId, resources: resourcesJson(0.1, 8), executor: 'command', killGracePeriodMs }, h.clock.now());
  add('t1', fw.id, a, 3000);
  add('t2', fw.id, a);
  add('t3', fw.id, b);
  add('o1', other.id, a);
  return { ...h, a, b, fw, other };
}

describe('TaskCalls', () => {
  it('kills a task of the framework with the kill policy, else the task\'s own grace period', () => {
    const h = setup();
    h.calls.kill(h.fw, 't1', undefined, 500);
    h.calls.kill(h.fw, 't2', undefined, undefined);
    h.calls.kill(h.fw, 't1', undefined, undefined);
    expect(h.messenger.kills).toEqual([
      { agentId: h.a, taskId: 't1', gracePeriodMs: 500 },
      { agentId: h.a, taskId: 't2', gracePeriodMs: undefined },
      { agentId: h.a, taskId: 't1', gracePeriodMs: 3000 },
    ]);
    expect(() => h.calls.kill(h.fw, 'o1', undefined, undefined)).toThrow(/another framework/);
  });

  it('asks the agent about a task the master does not know, or says UNKNOWN without one', () => {
    const h = setup();
    h.calls.kill(h.fw, 'ghost', h.b, undefined);
    expect(h.messenger.kills).toEqual([{ agentId: h.b, taskId: 'ghost', gracePeriodMs: undefined }]);
    h.calls.kill(h.fw, 'ghost2', undefined, undefined);
    expect(h.publisher.updatesTo(h.fw.id).map((u) => [u.taskId, u.state])).toEqual([['ghost2', 'UNKNOWN']]);
  });

  it('shuts down every task of the framework on one agent, and only those', () => {
    const h = setup();
    expect(h.calls.shutdown(h.fw, h.a)).toBe(2);
    expect(h.messenger.kills.map((k) => k.taskId).sort()).toEqual(['t1', 't2']);
  });

  it('suppresses and revives per role, refusing roles the framework is not in', () => {
    const h = setup();
    h.calls.suppress(h.fw, ['x']);
    expect([...h.fw.suppressedRoles]).toEqual(['x']);
    h.cycle();
    expect(h.publisher.offersTo(h.fw.id).every((o) => o.allocationInfo.role === 'y')).toBe(true);
    expect(() => h.calls.revive(h.fw, ['z'])).toThrow(/not subscribed to roles z/);
    h.calls.revive(h.fw, undefined);
    expect(h.fw.suppressedRoles.size).toBe(0);
  });

  it('applies each acknowledgement of a batch on its own and lists every refused one', () => {
    const h = setup();
    h.calls.acknowledgeAll(h.fw, [
      { agentId: h.a, taskId: 't1', uuid: 'u1' },
      { agentId: h.a, taskId: 't2', uuid: 'u2' },
    ]);
    expect(h.messenger.acks.map((a) => a.taskId)).toEqual(['t1', 't2']);
    let error: unknown;
    try {
      h.calls.acknowledgeAll(h.fw, [
        { agentId: h.a, taskId: 'o1', uuid: 'u3' },
        { agentId: h.b, taskId: 't3', uuid: 'u4' },
        { agentId: h.b, taskId: 't1', uuid: 'u5' },
      ]);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'INPUT', message: expect.stringMatching(/refused 2 of 3 acknowledgements \(the others were applied\)/) });
    expect((error as { details: string[] }).details).toEqual([expect.stringMatching(/'o1' belongs to another framework/), expect.stringMatching(/'t1' runs on agent/)]);
    expect(h.messenger.acks.map((a) => a.taskId)).toEqual(['t1', 't2', 't3']);
    // A lone acknowledgement fails exactly as ACKNOWLEDGE's single form does.
    expect(() => h.calls.acknowledgeAll(h.fw, [{ agentId: h.a, taskId: 'o1', uuid: 'u6' }])).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
  });

  it('sends MESSAGE to the agent of a live task of the framework', () => {
    const h = setup();
    h.calls.message(h.fw, h.a, 't1', 'aGk=');
    expect(h.messenger.messages).toEqual([{ agentId: h.a, frameworkId: h.fw.id, taskId: 't1', data: 'aGk=' }]);
  });

  it('refuses MESSAGE with a typed error naming the unknown agent or task, or what is wrong with it', () => {
    const h = setup();
    const refusal = (agentId: string, taskId: string) => {
      try {
        h.calls.message(h.fw, agentId, taskId, 'aGk=');
      } catch (err) {
        return err;
      }
      throw new Error('not refused');
    };
    expect(refusal('no-agent', 't1')).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/agent 'no-agent' is not known/) });
    expect(refusal(h.a, 'no-task')).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/task 'no-task' is not known/) });
    expect(refusal(h.a, 'o1')).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/belongs to another framework/) });
    expect(refusal(h.a, 't3')).toMatchObject({ code: 'INPUT', message: expect.stringMatching(/runs on agent '.*', not/) });
    h.tasks.applyMasterStatus(h.tasks.get('t2')!, 'FINISHED', 'REASON_COMMAND_EXECUTOR_FAILED', 'done', h.clock.now());
    expect(refusal(h.a, 't2')).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/has ended \(TASK_FINISHED\)/) });
    h.agents.expire(h.clock.now() + 1);
    expect(refusal(h.a, 't1')).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/unreachable/) });
    expect(h.messenger.messages).toEqual([]);
  });
});
