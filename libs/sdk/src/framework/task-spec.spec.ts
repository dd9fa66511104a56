import { InputError } from '@pando/common';
import type { Offer } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { generatedTaskId, offerResources, taskSpec } from './task-spec';

describe('taskSpec', () => {
  it('generates a subject-safe id from the name and parses text resources', () => {
    const spec = taskSpec({ name: 'web server #1 (blue)', agentId: 'agent-1', resources: 'cpus:0.5;mem:64', command: 'sleep 30' });
    expect(spec.taskId).toMatch(/^web-server-1-blue-[0-9a-f-]{36}$/);
    expect(spec.command).toEqual({ value: 'sleep 30', shell: true });
    expect(spec.executor).toBe('command');
    expect(Resources.fromJson(spec.resources).equals(Resources.parse('cpus:0.5;mem:64'))).toBe(true);
  });

  it('keeps a given id, takes Resources or JSON, and passes the other fields through', () => {
    const bag = Resources.scalars({ cpus: 1 });
    const spec = taskSpec({ taskId: 'my-task', name: 'x', agentId: 'a1', resources: bag, labels: { app: 'x' }, killGracePeriodMs: 500 });
    expect(spec).toMatchObject({ taskId: 'my-task', agentId: 'a1', labels: { app: 'x' }, killGracePeriodMs: 500 });
    expect(taskSpec({ name: 'y', agentId: 'a1', resources: bag.toJson() }).resources).toEqual(bag.toJson());
  });

  it('reports every problem at once as an InputError', () => {
    let caught: unknown;
    try {
      taskSpec({ taskId: 'bad.id', name: 'x', agentId: 'bad agent', resources: 'cpus:1' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).details.join('\n')).toMatch(/taskId[\s\S]*agentId/);
    expect(() => taskSpec({ name: 'x', agentId: 'a1', resources: 'cpus:lots' })).toThrow(InputError);
  });

  it('falls back to "task" for a name with nothing subject-safe in it', () => {
    expect(generatedTaskId('...')).toMatch(/^task-/);
  });
});

describe('offerResources', () => {
  it('is the bag of the offer, for contains and subtract', () => {
    const offer = { resources: Resources.parse('cpus:2;mem:256;ports:[31000-31005]').toJson() } as Offer;
    const bag = offerResources(offer);
    expect(bag.contains(Resources.parse('cpus:1;mem:128'))).toBe(true);
    expect(bag.subtract(Resources.parse('cpus:2')).scalar('cpus')).toBe(0);
  });
});
