import { InputError } from '@pando/common';
import { DEFAULT_MARATHON_OPTIONS, parseMarathonOptions } from './marathon.options';

describe('parseMarathonOptions', () => {
  it('applies defaults and reads kebab-case keys', () => {
    expect(parseMarathonOptions({})).toEqual(DEFAULT_MARATHON_OPTIONS);
    expect(DEFAULT_MARATHON_OPTIONS).toMatchObject({ deploymentDeadlineSeconds: 600, declineRefuseSeconds: 120, commandExecutor: 'command' });
    expect(parseMarathonOptions({ 'deployment-deadline-seconds': '5', 'command-executor': 'sim' })).toMatchObject({ deploymentDeadlineSeconds: 5, commandExecutor: 'sim' });
  });

  it('reports every bad key at once', () => {
    try {
      parseMarathonOptions({ 'deployment-deadline-seconds': 'soon', colour: 'blue', 'max-versions': '0' });
      throw new Error('not refused');
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).details).toHaveLength(3);
      expect((err as InputError).details.join('\n')).toMatch(/unknown option 'colour'/);
    }
  });
});
