import '../testing/quiet-logs';
import { FakeClock } from '../testing/fake-clock';
import { RecoveryGate } from './recovery-gate.service';

function gate(share = 0.8, timeoutMs = 10_000) {
  const clock = new FakeClock();
  const recovery = new RecoveryGate({ recoveryAgentShare: share, recoveryTimeoutMs: timeoutMs }, clock);
  const done: number[] = [];
  recovery.onDone(() => done.push(clock.now()));
  return { clock, recovery, done };
}

describe('RecoveryGate', () => {
  it('holds nothing back on a master that never led', () => {
    const { recovery, done } = gate();
    expect([recovery.phase, recovery.inProgress, done]).toEqual(['idle', false, []]);
  });

  it('opens once the share of expected agents is back, counting each agent once', () => {
    const { recovery, done } = gate(0.8);
    recovery.begin(['a', 'b', 'c', 'd', 'e']);
    expect(recovery.progress).toMatchObject({ phase: 'recovering', expected: 5, needed: 4, back: 0 });
    for (const id of ['a', 'a', 'b', 'stranger', 'c']) recovery.agentBack(id);
    expect(recovery.inProgress).toBe(true);
    recovery.agentBack('d');
    expect(recovery.progress).toMatchObject({ phase: 'done', back: 4, reason: '4 of 5 agents are back' });
    expect(done).toHaveLength(1);
  });

  it('opens at the timeout when too few agents come back', () => {
    const { clock, recovery, done } = gate(1, 10_000);
    recovery.begin(['a', 'b']);
    recovery.agentBack('a');
    clock.advance(9_999);
    expect(recovery.inProgress).toBe(true);
    clock.advance(1);
    expect(recovery.progress).toMatchObject({ phase: 'done', back: 1, reason: '10000 ms passed' });
    expect(done).toEqual([clock.now()]);
  });

  it('opens at once with an empty registry or a share of 0', () => {
    const empty = gate();
    empty.recovery.begin([]);
    expect(empty.recovery.progress).toMatchObject({ phase: 'done', reason: 'the registry holds no agents' });
    const none = gate(0);
    none.recovery.begin(['a']);
    expect(none.recovery.phase).toBe('done');
    const late: string[] = [];
    none.recovery.onDone(() => late.push('called'));
    expect(late).toEqual(['called']);
  });
});
