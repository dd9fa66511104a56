// Keep test output readable; failures still show warnings.
process.env.PANDO_LOG_LEVEL ??= 'warn';

import { statusUpdateMessageSchema, type StatusUpdateMessage, type TaskInfo } from '@pando/protocol';
import { AgentSession } from '../master/agent-session';
import { FakeClock } from '@pando/testing';
import { StatusUpdateManager, type StatusPublisher } from './status-update-manager';

class RecordingPublisher implements StatusPublisher {
  readonly sent: StatusUpdateMessage[] = [];
  publishStatus(message: StatusUpdateMessage): void {
    this.sent.push(structuredClone(message));
  }
  states(): string[] {
    return this.sent.map((m) => `${m.status.taskId}:${m.status.state}`);
  }
}

function task(taskId: string): TaskInfo {
  return { taskId, name: taskId, frameworkId: 'fw', agentId: 'a1', executor: 'command', resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }], command: { value: 'true', shell: true } };
}

describe('StatusUpdateManager', () => {
  let clock: FakeClock;
  let publisher: RecordingPublisher;
  let session: AgentSession;
  let manager: StatusUpdateManager;

  beforeEach(() => {
    clock = new FakeClock();
    publisher = new RecordingPublisher();
    session = new AgentSession();
    session.registeredWith({ agentId: 'a1', epoch: 3, masterId: 'm', heartbeatIntervalMs: 1000 });
    manager = new StatusUpdateManager(publisher, session, clock);
  });

  afterEach(() => manager.stop());

  it('stamps each update with a uuid, timestamp, source, agent and framework', () => {
    manager.track(task('t1'), 'command');
    const status = manager.update(task('t1'), 'RUNNING', { message: 'up' });
    expect(status).toEqual(
      expect.objectContaining({ taskId: 't1', frameworkId: 'fw', agentId: 'a1', state: 'RUNNING', source: 'SOURCE_EXECUTOR', timestamp: clock.now(), message: 'up' }),
    );
    expect(status!.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(publisher.sent).toEqual([{ agentId: 'a1', status }]);
  });

  it('keeps only the head in flight and sends the next one after its ack, in order', () => {
    manager.track(task('t1'), 'command');
    const starting = manager.update(task('t1'), 'STARTING')!;
    const running = manager.update(task('t1'), 'RUNNING')!;
    const finished = manager.update(task('t1'), 'FINISHED')!;
    expect(publisher.states()).toEqual(['t1:STARTING']);
    expect(manager.pendingCount()).toBe(3);

    expect(manager.acknowledge('t1', running.uuid)).toBe(false); // not the head
    expect(manager.acknowledge('t1', starting.uuid)).toBe(true);
    expect(publisher.states()).toEqual(['t1:STARTING', 't1:RUNNING']);
    manager.acknowledge('t1', running.uuid);
    manager.acknowledge('t1', finished.uuid);
    expect(publisher.states()).toEqual(['t1:STARTING', 't1:RUNNING', 't1:FINISHED']);
    expect(manager.pendingCount()).toBe(0);
  });

  it('re-sends the head with backoff 500 ms doubling to 10 s until acknowledged', () => {
    manager.track(task('t1'), 'command');
    const status = manager.update(task('t1'), 'RUNNING')!;
    const times: number[] = [];
    const start = clock.now();
    let lastCount = publisher.sent.length;
    for (let elapsed = 0; elapsed < 60_000; elapsed += 100) {
      clock.advance(100);
      if (publisher.sent.length > lastCount) {
        times.push(clock.now() - start);
        lastCount = publisher.sent.length;
      }
    }
    expect(times.slice(0, 8)).toEqual([500, 1500, 3500, 7500, 15_500, 25_500, 35_500, 45_500]);
    expect(publisher.sent.every((m) => m.status.uuid === status.uuid)).toBe(true);

    manager.acknowledge('t1', status.uuid);
    const count = publisher.sent.length;
    clock.advance(60_000);
    expect(publisher.sent.length).toBe(count);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('restarts the backoff at 500 ms for the next update', () => {
    manager.track(task('t1'), 'command');
    const first = manager.update(task('t1'), 'STARTING')!;
    clock.advance(500 + 1000 + 2000);
    manager.acknowledge('t1', first.uuid);
    manager.update(task('t1'), 'RUNNING');
    const before = publisher.sent.length;
    clock.advance(499);
    expect(publisher.sent.length).toBe(before);
    clock.advance(1);
    expect(publisher.sent.length).toBe(before + 1);
  });

  it('resends every head at once after registration', () => {
    manager.track(task('t1'), 'command');
    manager.track(task('t2'), 'command');
    manager.update(task('t1'), 'RUNNING');
    manager.update(task('t1'), 'FAILED');
    manager.update(task('t2'), 'RUNNING');
    publisher.sent.length = 0;
    manager.resendAll();
    expect(publisher.states()).toEqual(['t1:RUNNING', 't2:RUNNING']);
  });

  it('drops updates after a terminal one', () => {
    manager.track(task('t1'), 'command');
    manager.update(task('t1'), 'KILLED');
    expect(manager.update(task('t1'), 'FAILED')).toBeUndefined();
    expect(manager.pendingCount()).toBe(1);
    expect(manager.get('t1')!.latest!.state).toBe('KILLED');
  });

  it('drops updates for a task that already completed', () => {
    manager.track(task('t1'), 'command');
    manager.acknowledge('t1', manager.update(task('t1'), 'FINISHED')!.uuid);
    const count = publisher.sent.length;
    expect(manager.update(task('t1'), 'KILLED')).toBeUndefined();
    expect(publisher.sent.length).toBe(count);
    expect(manager.snapshot().tasks).toEqual([]);
  });

  it('keeps updates within what the wire schema accepts', () => {
    manager.track(task('t1'), 'command');
    const status = manager.update(task('t1'), 'FAILED', { reason: 'R'.repeat(300), message: 'm'.repeat(10_000), exitCode: 1.5 })!;
    expect(status.reason).toHaveLength(100);
    expect(status.message).toHaveLength(8192);
    expect(status.exitCode).toBeUndefined();
    expect(statusUpdateMessageSchema.safeParse(publisher.sent[0]).success).toBe(true);
  });

  it('moves a task whose terminal update is acknowledged to the completed list, keeping the last 200', () => {
    for (let i = 0; i < 205; i++) {
      const t = task(`t${i}`);
      manager.track(t, 'command');
      const s = manager.update(t, 'FINISHED')!;
      manager.acknowledge(t.taskId, s.uuid);
    }
    const snapshot = manager.snapshot();
    expect(snapshot.tasks).toEqual([]);
    expect(snapshot.completed).toHaveLength(200);
    expect(snapshot.completed[0].task.taskId).toBe('t5');
    expect(snapshot.completed[199].status.state).toBe('FINISHED');
    expect(manager.knows('t204')).toBe(true);
    expect(manager.knows('t0')).toBe(false);
    expect(manager.track(task('t204'), 'command')).toBe(false);
  });

  it('reports non-terminal tasks and terminal ones not yet acknowledged, not completed ones', () => {
    manager.track(task('staging'), 'command');
    manager.track(task('running'), 'command');
    manager.track(task('failed'), 'command');
    manager.track(task('done'), 'command');
    manager.update(task('running'), 'RUNNING');
    manager.update(task('failed'), 'FAILED', { exitCode: 3 });
    manager.acknowledge('done', manager.update(task('done'), 'FINISHED')!.uuid);
    const reports = manager.reports();
    expect(reports.map((r) => `${r.task.taskId}:${r.status.state}`)).toEqual(['staging:STAGING', 'running:RUNNING', 'failed:FAILED']);
  });

  it('sends updates about unknown tasks but does not report or keep them', () => {
    const lost = manager.update({ taskId: 'ghost', frameworkId: 'fw' }, 'LOST', { reason: 'REASON_TASK_UNKNOWN' }, 'SOURCE_AGENT')!;
    expect(publisher.sent[0].status).toEqual(expect.objectContaining({ taskId: 'ghost', state: 'LOST', reason: 'REASON_TASK_UNKNOWN', source: 'SOURCE_AGENT' }));
    expect(manager.reports()).toEqual([]);
    manager.acknowledge('ghost', lost.uuid);
    expect(manager.snapshot()).toEqual({ tasks: [], completed: [] });
  });

  it('holds updates while the agent has no id, then sends them on resendAll', () => {
    const unregistered = new AgentSession();
    const fresh = new StatusUpdateManager(publisher, unregistered, clock);
    fresh.track(task('t1'), 'command');
    fresh.update(task('t1'), 'RUNNING');
    clock.advance(2000);
    expect(publisher.sent).toEqual([]);
    unregistered.registeredWith({ agentId: 'a1', epoch: 1, masterId: 'm', heartbeatIntervalMs: 1000 });
    fresh.resendAll();
    expect(publisher.sent.map((m) => [m.agentId, m.status.agentId, m.status.state])).toEqual([['a1', 'a1', 'RUNNING']]);
    fresh.stop();
  });

  it('sends the updates of a retired identity under that identity, and does not report its tasks', () => {
    const session2 = new AgentSession();
    session2.setAgentId('a1');
    const restarted = new StatusUpdateManager(publisher, session2, clock);
    restarted.track(task('old'), 'command');
    session2.retire();
    restarted.update(task('old'), 'KILLED', { reason: 'REASON_AGENT_RESTARTED' }, 'SOURCE_AGENT');
    expect(publisher.sent).toEqual([]);
    session2.registeredWith({ agentId: 'a9', epoch: 1, masterId: 'm', heartbeatIntervalMs: 1000 });
    expect(session2.retiredAgentIds).toEqual(['a1']);
    expect(restarted.reports()).toEqual([]);
    restarted.resendAll();
    expect(publisher.sent.map((m) => [m.agentId, m.status.agentId, m.status.state])).toEqual([['a1', 'a1', 'KILLED']]);
    restarted.stop();
  });

  it('restores records and completed tasks from a checkpoint without sending, and reports changes', () => {
    const changes: string[] = [];
    manager.onChange((taskId, change) => changes.push(`${taskId}:${change}`));
    manager.track(task('t1'), 'command');
    const running = manager.update(task('t1'), 'RUNNING')!;
    const restored = new StatusUpdateManager(publisher, session, clock);
    const snapshot = manager.snapshot();
    publisher.sent.length = 0;
    restored.restore(snapshot.tasks, [{ task: task('done'), status: { ...running, taskId: 'done', state: 'FINISHED' } }]);
    expect(publisher.sent).toEqual([]);
    expect(restored.knows('t1') && restored.knows('done')).toBe(true);
    expect(restored.get('t1')!.pending.map((s) => s.uuid)).toEqual([running.uuid]);
    restored.resendAll();
    expect(publisher.sent.map((m) => m.status.uuid)).toEqual([running.uuid]);
    manager.setExecutorData('t1', { pid: 7 });
    manager.acknowledge('t1', running.uuid);
    expect(changes).toEqual(['t1:info', 't1:state', 't1:state', 't1:state']);
    restored.stop();
  });

  it('ignores acknowledgements of unknown tasks and repeated acknowledgements', () => {
    manager.track(task('t1'), 'command');
    const s = manager.update(task('t1'), 'RUNNING')!;
    expect(manager.acknowledge('nope', s.uuid)).toBe(false);
    expect(manager.acknowledge('t1', s.uuid)).toBe(true);
    expect(manager.acknowledge('t1', s.uuid)).toBe(false);
  });
});
