import type { Constraint } from './app.types';
import { meetsConstraint, meetsConstraints, unmetConstraints, type Placement } from './constraint.matcher';

const at = (hostname: string, attributes: Record<string, string | number> = {}): Placement => ({ hostname, attributes });
const meets = (c: Constraint, offer: Placement, tasks: Placement[] = []) => meetsConstraint(c, offer, tasks);

describe('constraints on hostname', () => {
  it('UNIQUE: one task per host', () => {
    expect(meets(['hostname', 'UNIQUE'], at('a'), [at('b')])).toBe(true);
    expect(meets(['hostname', 'UNIQUE'], at('a'), [at('a')])).toBe(false);
  });

  it('CLUSTER: all on the given host, or all on the first one used', () => {
    expect(meets(['hostname', 'CLUSTER', 'a'], at('a'))).toBe(true);
    expect(meets(['hostname', 'CLUSTER', 'a'], at('b'))).toBe(false);
    expect(meets(['hostname', 'CLUSTER'], at('b'))).toBe(true);
    expect(meets(['hostname', 'CLUSTER'], at('b'), [at('b')])).toBe(true);
    expect(meets(['hostname', 'CLUSTER'], at('b'), [at('a')])).toBe(false);
  });

  it('LIKE and UNLIKE match the whole value', () => {
    expect(meets(['hostname', 'LIKE', 'web-[0-9]+'], at('web-12'))).toBe(true);
    expect(meets(['hostname', 'LIKE', 'web'], at('web-12'))).toBe(false);
    expect(meets(['hostname', 'UNLIKE', 'web'], at('web-12'))).toBe(true);
    expect(meets(['hostname', 'UNLIKE', 'web-.*'], at('web-12'))).toBe(false);
  });

  it('MAX_PER caps the tasks per host', () => {
    expect(meets(['hostname', 'MAX_PER', '2'], at('a'), [at('a'), at('b')])).toBe(true);
    expect(meets(['hostname', 'MAX_PER', '2'], at('a'), [at('a'), at('a')])).toBe(false);
  });

  it('IS wants exactly that host', () => {
    expect(meets(['hostname', 'IS', 'a'], at('a'))).toBe(true);
    expect(meets(['hostname', 'IS', 'a'], at('ab'))).toBe(false);
  });
});

describe('constraints on attributes', () => {
  it('compare attribute values as strings, numbers included', () => {
    expect(meets(['level', 'IS', '10'], at('h', { level: 10 }))).toBe(true);
    expect(meets(['rack', 'UNIQUE'], at('h', { rack: 'r1' }), [at('x', { rack: 'r2' })])).toBe(true);
    expect(meets(['rack', 'UNIQUE'], at('h', { rack: 'r1' }), [at('x', { rack: 'r1' })])).toBe(false);
    expect(meets(['rack', 'CLUSTER', 'r1'], at('h', { rack: 'r1' }))).toBe(true);
    expect(meets(['rack', 'CLUSTER'], at('h', { rack: 'r2' }), [at('x', { rack: 'r1' })])).toBe(false);
    expect(meets(['rack', 'MAX_PER', '1'], at('h', { rack: 'r1' }), [at('x', { rack: 'r1' })])).toBe(false);
    expect(meets(['rack', 'LIKE', 'r[12]'], at('h', { rack: 'r2' }))).toBe(true);
  });

  it('refuse agents without the attribute, except for UNLIKE', () => {
    for (const c of [['rack', 'UNIQUE'], ['rack', 'CLUSTER'], ['rack', 'GROUP_BY'], ['rack', 'LIKE', '.*'], ['rack', 'MAX_PER', '5'], ['rack', 'IS', 'r1']] as Constraint[]) {
      expect(meets(c, at('h'))).toBe(false);
    }
    expect(meets(['rack', 'UNLIKE', 'r1'], at('h'))).toBe(true);
  });
});

describe('GROUP_BY', () => {
  const rack = (r: string) => at(`h-${r}`, { rack: r });

  it('takes a value nobody uses yet', () => {
    expect(meets(['rack', 'GROUP_BY'], rack('r3'), [rack('r1'), rack('r2')])).toBe(true);
  });

  it('takes a used value only when it is among the least used', () => {
    expect(meets(['rack', 'GROUP_BY'], rack('r1'), [rack('r1'), rack('r2')])).toBe(true);
    expect(meets(['rack', 'GROUP_BY'], rack('r1'), [rack('r1'), rack('r1'), rack('r2')])).toBe(false);
    expect(meets(['rack', 'GROUP_BY'], rack('r2'), [rack('r1'), rack('r1'), rack('r2')])).toBe(true);
  });

  it('waits for the minimum number of groups before reusing one', () => {
    expect(meets(['rack', 'GROUP_BY', '3'], rack('r1'), [rack('r1'), rack('r2')])).toBe(false);
    expect(meets(['rack', 'GROUP_BY', '2'], rack('r1'), [rack('r1'), rack('r2')])).toBe(true);
  });

  it('spreads evenly when tasks are placed one by one', () => {
    const tasks: Placement[] = [];
    const offers = ['r1', 'r1', 'r1', 'r2', 'r2', 'r3', 'r1', 'r2', 'r3', 'r3', 'r1', 'r2'].map(rack);
    for (const offer of offers) if (meets(['rack', 'GROUP_BY', '3'], offer, tasks)) tasks.push(offer);
    const counts = ['r1', 'r2', 'r3'].map((r) => tasks.filter((t) => t.attributes.rack === r).length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });
});

describe('several constraints', () => {
  it('must all hold, and the unmet ones are listed', () => {
    const constraints: Constraint[] = [['hostname', 'UNIQUE'], ['rack', 'IS', 'r1']];
    expect(meetsConstraints(constraints, at('a', { rack: 'r1' }), [])).toBe(true);
    expect(unmetConstraints(constraints, at('a', { rack: 'r2' }), [at('a')])).toEqual(constraints);
  });
});
