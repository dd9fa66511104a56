import type { TaskInfo } from '@pando/protocol';
import { Resources } from '@pando/resources';
import type { TaskRecord } from '../status/status-update-manager';
import { incompatibilities, usedByTasks } from './config-compatibility';

function record(taskId: string, resources: string, state: 'RUNNING' | 'FINISHED' = 'RUNNING'): TaskRecord {
  const task: TaskInfo = { taskId, name: taskId, frameworkId: 'fw', agentId: 'a1', executor: 'command', resources: Resources.parse(resources).toJson() };
  const latest = { taskId, frameworkId: 'fw', state, uuid: `u-${taskId}`, timestamp: 0, source: 'SOURCE_EXECUTOR' as const };
  return { taskId, frameworkId: 'fw', task, latest, pending: [], terminal: state !== 'RUNNING' };
}

describe('agent configuration compatibility after a restart', () => {
  const saved = { agentId: 'a1', hostname: 'node-1', resources: Resources.parse('cpus:4;mem:4096').toJson() };
  const records = [record('t1', 'cpus:1;mem:512;ports:[31000-31000]'), record('t2', 'cpus:2;mem:1024', 'FINISHED')];

  it('counts only the tasks that have not ended', () => {
    expect(usedByTasks(records).toString()).toBe(Resources.parse('cpus:1;mem:512;ports:[31000-31000]').toString());
  });

  it('accepts changed resources that still hold the running tasks, and a checkpoint without a recorded config', () => {
    const current = { hostname: 'node-1', resources: Resources.parse('cpus:1;mem:600;ports:[31000-31010]') };
    expect(incompatibilities(saved, current, records)).toEqual([]);
    expect(incompatibilities({ agentId: 'a1' }, current, records)).toEqual([]);
  });

  it('refuses another host name, and resources the running tasks no longer fit in', () => {
    const problems = incompatibilities(saved, { hostname: 'node-2', resources: Resources.parse('cpus:0.5;mem:4096') }, records);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toBe("the host name changed from 'node-1' to 'node-2'");
    expect(problems[1]).toMatch(/^the resources \(.*\) no longer hold what its running tasks use \(.*\)$/);
  });
});
