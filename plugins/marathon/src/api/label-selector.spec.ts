import { matchesLabelSelector, parseLabelSelector } from './label-selector';

describe('label selector', () => {
  const labels = { team: 'web', tier: 'frontend', canary: '' };
  const matches = (selector: string) => matchesLabelSelector(parseLabelSelector(selector), labels);

  it('supports existence, equality and sets, all terms ANDed', () => {
    expect(matches('team')).toBe(true);
    expect(matches('!team')).toBe(false);
    expect(matches('owner')).toBe(false);
    expect(matches('team==web')).toBe(true);
    expect(matches('team!=web')).toBe(false);
    expect(matches('tier in (backend, frontend)')).toBe(true);
    expect(matches('tier notin (backend, frontend)')).toBe(false);
    expect(matches('team==web,tier in (a,frontend),canary')).toBe(true);
    expect(matches('team==web,tier==backend')).toBe(false);
  });
});
