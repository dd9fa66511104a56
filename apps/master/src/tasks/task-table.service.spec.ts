import '../testing/quiet-logs';
import { taskInfo, taskReport, taskStatus } from '../testing/factories';
import { STATUS_HISTORY_LIMIT } from './task.record';
import { TaskTable } from './task-table.service';

const NOW = Date.UTC(2026, 0, 1);

describe('TaskTable', () => {
  it('does not take a task back when its agent re-sends an older update after reporting a newer one (failover)', () => {
    const table = new TaskTable(10);
    const info = taskInfo('t1', 'a1');
    const task = table.addLaunched(info, NOW);
    // The agent re-registers with the task's latest status (RUNNING, generated at NOW + 70)...
    expect(table.apply(task, taskStatus(info, 'RUNNING', { uuid: 'u2', timestamp: NOW + 70 }), NOW)).toBe('applied');
    // ...then re-sends the STARTING update (NOW + 5) the dead leader never acknowledged.
    expect(table.apply(task, taskStatus(info, 'STARTING', { uuid: 'u1', timestamp: NOW + 5 }), NOW)).toBe('stale');
    expect(task.state).toBe('RUNNING');
    // A status the master made itself is no reason to refuse a later agent update.
    table.apply(task, taskStatus(info, 'UNREACHABLE', { source: 'SOURCE_MASTER', timestamp: NOW + 1000 }), NOW);
    expect(table.apply(task, taskStatus(info, 'RUNNING', { uuid: 'u3', timestamp: NOW + 500 }), NOW)).toBe('applied');
    expect(task.state).toBe('RUNNING');
  });

  it('adds launched tasks as STAGING and sums used resources per agent and framework', () => {
    const table = new TaskTable(10);
    table.addLaunched(taskInfo('t1', 'a1'), NOW);
    table.addLaunched(taskInfo('t2', 'a1', { frameworkId: 'fw' }), NOW);
    expect(table.get('t1')?.state).toBe('STAGING');
    expect(table.usedOn('a1').scalar('cpus')).toBe(2);
    expect(table.usedStateJsonOn('a1')).toMatchObject({ cpus: 2, mem: 256 });
    expect(table.usedStateJsonOf('fw')).toMatchObject({ cpus: 1, mem: 128 });
    expect(table.usedOn('a2').isEmpty()).toBe(true);
    expect([...table.liveFrameworkIds()].sort()).toEqual(['fw', 'operator']);
  });

  it('applies transitions, keeps a bounded history, and moves terminal tasks to completed', () => {
    const table = new TaskTable(10);
    const info = taskInfo('t1', 'a1');
    const task = table.addLaunched(info, NOW);
    expect(table.apply(task, taskStatus(info, 'RUNNING', { uuid: 'u1', healthy: true }), NOW)).toBe('applied');
    expect(task.state).toBe('RUNNING');
    expect(task.healthy).toBe(true);
    expect(table.apply(task, taskStatus(info, 'FINISHED', { uuid: 'u2' }), NOW)).toBe('applied');
    expect(table.liveCount).toBe(0);
    expect(table.completedCount).toBe(1);
    expect(table.get('t1')?.state).toBe('FINISHED');
    expect(table.usedOn('a1').isEmpty()).toBe(true);
    expect([...table.liveFrameworkIds()]).toEqual([]);
    expect(task.statuses.map((s) => s.state)).toEqual(['STAGING', 'RUNNING', 'FINISHED']);
  });

  it('never leaves a terminal state and does not re-apply a uuid', () => {
    const table = new TaskTable(10);
    const info = taskInfo('t1', 'a1');
    const task = table.addLaunched(info, NOW);
    table.apply(task, taskStatus(info, 'RUNNING', { uuid: 'u1' }), NOW);
    expect(table.apply(task, taskStatus(info, 'RUNNING', { uuid: 'u1' }), NOW)).toBe('duplicate');
    expect(task.statuses).toHaveLength(2);
    table.apply(task, taskStatus(info, 'FAILED', { uuid: 'u2' }), NOW);
    expect(table.apply(task, taskStatus(info, 'RUNNING', { uuid: 'u3' }), NOW)).toBe('terminal');
    expect(task.state).toBe('FAILED');
    expect(table.apply(task, taskStatus(info, 'FAILED', { uuid: 'u2' }), NOW)).toBe('duplicate');
  });

  it('keeps the last statuses only and converts timestamps in seconds to ms', () => {
    const table = new TaskTable(10);
    const info = taskInfo('t1', 'a1');
    const task = table.addLaunched(info, NOW);
    for (let i = 0; i < 15; i++) table.apply(task, taskStatus(info, i % 2 ? 'RUNNING' : 'STARTING', { uuid: `u${i}` }), NOW);
    expect(task.statuses).toHaveLength(STATUS_HISTORY_LIMIT);
    table.apply(task, taskStatus(info, 'RUNNING', { uuid: 'secs', timestamp: 1_767_225_600.5 }), NOW);
    expect(task.statuses.at(-1)?.timestamp).toBe(1_767_225_600_500);
  });

  it('bounds completed tasks, dropping the oldest', () => {
    const table = new TaskTable(2);
    for (const id of ['t1', 't2', 't3']) {
      const info = taskInfo(id, 'a1');
      table.apply(table.addLaunched(info, NOW), taskStatus(info, 'FINISHED'), NOW);
    }
    expect([...table.completedTasks()].map((t) => t.id)).toEqual(['t2', 't3']);
    expect(table.get('t1')).toBeUndefined();
  });

  it('marks the tasks of an unreachable agent UNREACHABLE, keeping their resources used', () => {
    const table = new TaskTable(10);
    table.addLaunched(taskInfo('t1', 'a1'), NOW);
    table.addLaunched(taskInfo('t2', 'a2'), NOW);
    const changed = table.markAgentUnreachable('a1', NOW + 1);
    expect(changed).toHaveLength(1);
    expect(changed[0].status).toMatchObject({ taskId: 't1', state: 'UNREACHABLE', source: 'SOURCE_MASTER', reason: 'REASON_AGENT_DISCONNECTED' });
    expect(changed[0].status.uuid).toBeUndefined();
    expect(table.get('t1')?.state).toBe('UNREACHABLE');
    expect(table.get('t2')?.state).toBe('STAGING');
    expect(table.usedOn('a1').scalar('cpus')).toBe(1);
    expect(table.markAgentUnreachable('a1', NOW + 2)).toEqual([]);
  });

  it('reconciles a re-registering agent: reported tasks take their state, missing ones are LOST', () => {
    const table = new TaskTable(10);
    const kept = taskInfo('kept', 'a1');
    table.apply(table.addLaunched(kept, NOW), taskStatus(kept, 'RUNNING', { uuid: 'u1' }), NOW);
    table.addLaunched(taskInfo('gone', 'a1'), NOW);
    table.markAgentUnreachable('a1', NOW);
    const fresh = taskInfo('fresh', 'a1', { resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 2 } }] });
    const result = table.reconcileAgent('a1', [taskReport(kept, 'RUNNING', 'u1'), taskReport(fresh, 'RUNNING', 'f1')], NOW);
    expect(result).toMatchObject({ added: 1, refreshed: 1, skipped: [] });
    expect(result.lost.map((l) => l.status)).toEqual([
      expect.objectContaining({ taskId: 'gone', state: 'LOST', source: 'SOURCE_MASTER', message: 'not reported by re-registering agent' }),
    ]);
    expect(table.get('kept')?.state).toBe('RUNNING');
    expect(table.get('fresh')?.state).toBe('RUNNING');
    expect(table.get('gone')?.state).toBe('LOST');
    expect(table.usedOn('a1').scalar('cpus')).toBe(3);
  });

  it('skips reported tasks that are terminal here or belong to another agent', () => {
    const table = new TaskTable(10);
    const done = taskInfo('done', 'a1');
    table.apply(table.addLaunched(done, NOW), taskStatus(done, 'KILLED'), NOW);
    table.addLaunched(taskInfo('other', 'a2'), NOW);
    const result = table.reconcileAgent('a1', [taskReport(done, 'RUNNING'), taskReport(taskInfo('other', 'a1'), 'RUNNING')], NOW);
    expect(result.skipped).toHaveLength(2);
    expect(table.get('done')?.state).toBe('KILLED');
    expect(table.get('other')?.agentId).toBe('a2');
  });

  it('records an unknown task from its status update and replaces the info on re-registration', () => {
    const table = new TaskTable(10);
    const info = taskInfo('t1', 'a1');
    const task = table.addFromStatus('a1', taskStatus(info, 'RUNNING', { uuid: 'u1' }), NOW);
    expect(task.partial).toBe(true);
    expect(table.usedOn('a1').isEmpty()).toBe(true);
    table.reconcileAgent('a1', [taskReport(info, 'RUNNING', 'u1')], NOW);
    expect(task.partial).toBe(false);
    expect(table.usedOn('a1').scalar('mem')).toBe(128);
  });
});
