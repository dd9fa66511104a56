import '../testing/quiet-logs';
import { InputError } from '@pando/common';
import { MasterIdentity } from '../identity/master-identity';
import { registerRequest, masterOptions, taskInfo, taskReport } from '../testing/factories';
import { FakeClock } from '../testing/fake-clock';
import { RecordingObserver, RecordingSink } from '../testing/recording-seams';
import { TaskTable } from '../tasks/task-table.service';
import { AgentRegistrationService } from './agent-registration.service';
import { AgentRegistry } from './agent-registry.service';

function setup() {
  const clock = new FakeClock();
  const registry = new AgentRegistry();
  const tasks = new TaskTable(100);
  const sink = new RecordingSink();
  const identity = new MasterIdentity('master-1', 'master-host', clock.now());
  identity.lead(42, clock.now());
  const observer = new RecordingObserver();
  const service = new AgentRegistrationService(registry, tasks, sink, observer, identity, masterOptions({ heartbeatIntervalMs: 2500 }), clock);
  return { clock, registry, tasks, sink, observer, service };
}

function refusal(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('AgentRegistrationService', () => {
  it('registers a new agent and replies with its id, the epoch and the heartbeat interval', () => {
    const { service, registry, observer } = setup();
    const reply = service.register(registerRequest());
    expect(reply).toEqual({ ok: true, agentId: expect.any(String), epoch: 42, masterId: 'master-1', heartbeatIntervalMs: 2500 });
    const agent = registry.get(reply.ok ? reply.agentId : '')!;
    expect(agent.info).toMatchObject({ hostname: 'node-1', httpPort: 5051, executors: ['command'] });
    expect(agent.resources.scalar('cpus')).toBe(4);
    expect(observer.admitted).toEqual([{ agent, kind: 'registered', reactivated: false }]);
  });

  it('refuses another protocol version, naming both', () => {
    const { service, registry, observer } = setup();
    const err = refusal(() => service.register(registerRequest({ protocolVersion: 99 })));
    expect(err.code).toBe('INPUT');
    expect(err.message).toContain('99');
    expect(err.message).toContain('version 1');
    expect(registry.size).toBe(0);
    expect(observer.admitted).toEqual([]);
  });

  it('refuses an agent without resources and reports every problem at once', () => {
    const { service, registry } = setup();
    const err = refusal(() => service.register(registerRequest({ protocolVersion: 2, resources: [], tasks: [taskReport(taskInfo('t', 'x'), 'RUNNING')] })));
    expect(err.details).toHaveLength(3);
    expect(registry.size).toBe(0);
  });

  it('refuses reported tasks of another agent without changing anything', () => {
    const { service, registry, tasks } = setup();
    const err = refusal(() =>
      service.register(registerRequest({ agentId: 'a1', tasks: [taskReport(taskInfo('t1', 'a1'), 'RUNNING'), taskReport(taskInfo('t2', 'b2'), 'RUNNING')] })),
    );
    expect(err.details).toEqual([expect.stringContaining("names agent 'b2'")]);
    expect(registry.size).toBe(0);
    expect(tasks.liveCount).toBe(0);
  });

  it('admits an agent this master does not know under its own id, with its tasks', () => {
    const { service, registry, tasks } = setup();
    const reply = service.register(registerRequest({ agentId: 'a1', tasks: [taskReport(taskInfo('t1', 'a1'), 'RUNNING', 'u1')] }));
    expect(reply).toMatchObject({ ok: true, agentId: 'a1' });
    expect(registry.get('a1')?.reregisteredTime).toBeDefined();
    expect(tasks.get('t1')?.state).toBe('RUNNING');
    expect(tasks.usedOn('a1').scalar('cpus')).toBe(1);
  });

  it('re-registration loses the tasks the agent no longer reports and tells the sink', () => {
    const { service, tasks, sink, clock } = setup();
    service.register(registerRequest({ agentId: 'a1', tasks: [taskReport(taskInfo('t1', 'a1'), 'RUNNING'), taskReport(taskInfo('t2', 'a1'), 'RUNNING')] }));
    clock.advance(1000);
    service.register(registerRequest({ agentId: 'a1', tasks: [taskReport(taskInfo('t1', 'a1'), 'RUNNING')] }));
    expect(tasks.get('t2')?.state).toBe('LOST');
    expect(sink.masterUpdates).toEqual([expect.objectContaining({ taskId: 't2', state: 'LOST', source: 'SOURCE_MASTER' })]);
    expect(sink.masterUpdates[0].uuid).toBeUndefined();
  });
});
