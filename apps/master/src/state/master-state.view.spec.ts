import '../testing/quiet-logs';
import { Resources } from '@pando/resources';
import { AgentRegistry } from '../agents/agent-registry.service';
import { MasterIdentity } from '../identity/master-identity';
import { agentInfo, resourcesJson, taskInfo, taskStatus } from '../testing/factories';
import { TaskTable } from '../tasks/task-table.service';
import { MasterStateView } from './master-state.view';

const T0 = Date.UTC(2026, 0, 1);

function setup() {
  const identity = new MasterIdentity('master-1', 'master-host', T0);
  identity.lead(T0, T0 + 500);
  identity.setHttpPort(5050);
  const registry = new AgentRegistry();
  const tasks = new TaskTable(10);
  return { identity, registry, tasks, view: new MasterStateView(identity, registry, tasks) };
}

describe('MasterStateView', () => {
  it('has the top level of Mesos /master/state', () => {
    const { view } = setup();
    expect(view.build()).toEqual({
      version: expect.any(String),
      id: 'master-1',
      pid: 'master@master-host:5050',
      hostname: 'master-host',
      start_time: T0 / 1000,
      elected_time: (T0 + 500) / 1000,
      leader: 'master@master-host:5050',
      leader_info: { id: 'master-1', pid: 'master@master-host:5050', hostname: 'master-host', port: 5050 },
      activated_slaves: 0,
      deactivated_slaves: 0,
      unreachable_slaves: 0,
      slaves: [],
      recovered_slaves: [],
      frameworks: [],
      completed_frameworks: [],
      orphan_tasks: [],
      unregistered_frameworks: [],
    });
  });

  it('names the lease holder as leader on a standby, and agents known from the registry only', () => {
    const { view, registry } = setup();
    const standby = new MasterIdentity('master-2', 'other-host', T0);
    standby.setHttpPort(5060);
    standby.observeLeader({ masterId: 'master-1', hostname: 'master-host', port: 5050, url: 'http://master-host:5050', pid: 'master@master-host:5050' });
    registry.restore({ id: 'a1', info: agentInfo('node-9'), totals: Resources.fromJson(resourcesJson(2, 512)), registeredTime: T0, unreachable: false });
    const state = new MasterStateView(standby, registry, new TaskTable(10)).build();
    expect(state).toMatchObject({
      id: 'master-2',
      leader: 'master@master-host:5050',
      leader_info: { id: 'master-1', pid: 'master@master-host:5050', hostname: 'master-host', port: 5050 },
      recovered_slaves: [{ id: 'a1', hostname: 'node-9', port: 5051, registered_time: T0 / 1000, resources: expect.objectContaining({ cpus: 2, mem: 512 }) }],
    });
    expect(state.elected_time).toBeUndefined();
    expect((view.build() as { slaves: unknown[] }).slaves).toEqual([]);
  });

  it('shows agents with totals, used, offered and unreserved resources', () => {
    const { view, registry, tasks } = setup();
    const { agent } = registry.admit(undefined, agentInfo('node-1'), Resources.fromJson(resourcesJson(4, 4096, [31000, 32000])), T0);
    const other = registry.admit(undefined, agentInfo('node-2'), Resources.fromJson(resourcesJson(1, 512)), T0).agent;
    registry.admit(agent.id, agentInfo('node-1'), agent.resources, T0 + 2000);
    tasks.addLaunched(taskInfo('t1', agent.id), T0);
    registry.expire(T0 + 1);
    const state = view.build() as { slaves: Array<Record<string, unknown>>; activated_slaves: number; deactivated_slaves: number; unreachable_slaves: number };
    expect(state).toMatchObject({ activated_slaves: 1, deactivated_slaves: 1, unreachable_slaves: 1 });
    expect(state.slaves[0]).toEqual({
      id: agent.id,
      pid: 'slave(1)@node-1:5051',
      hostname: 'node-1',
      port: 5051,
      attributes: { rack: 'r1' },
      registered_time: T0 / 1000,
      reregistered_time: (T0 + 2000) / 1000,
      active: true,
      version: '0.1.0',
      resources: { cpus: 4, mem: 4096, disk: 0, gpus: 0, ports: '[31000-32000]' },
      used_resources: { cpus: 1, mem: 128, disk: 0, gpus: 0 },
      offered_resources: { cpus: 0, mem: 0, disk: 0, gpus: 0 },
      reserved_resources: {},
      reserved_resources_full: {},
      unreserved_resources: { cpus: 4, mem: 4096, disk: 0, gpus: 0, ports: '[31000-32000]' },
      capabilities: [],
      executors: ['command'],
    });
    expect(state.slaves[1]).toMatchObject({ id: other.id, active: false });
    expect(state.slaves[1]).not.toHaveProperty('reregistered_time');
  });

  it('shows the operator framework with Mesos-style tasks and completed tasks', () => {
    const { view, tasks } = setup();
    const running = taskInfo('web-1', 'a1', { labels: { app: 'web' } });
    tasks.apply(tasks.addLaunched(running, T0), taskStatus(running, 'RUNNING', { uuid: 'u1', healthy: true, timestamp: T0 + 1500 }), T0);
    const done = taskInfo('job-1', 'a1');
    tasks.apply(tasks.addLaunched(done, T0), taskStatus(done, 'FINISHED', { timestamp: T0 + 2000 }), T0);
    const { frameworks } = view.build() as { frameworks: Array<Record<string, unknown>> };
    expect(frameworks).toHaveLength(1);
    expect(frameworks[0]).toMatchObject({
      id: 'operator',
      name: 'operator',
      active: true,
      role: '*',
      resources: { cpus: 1, mem: 128, disk: 0, gpus: 0 },
      used_resources: { cpus: 1, mem: 128, disk: 0, gpus: 0 },
      offered_resources: { cpus: 0, mem: 0, disk: 0, gpus: 0 },
      offers: [],
    });
    expect(frameworks[0].tasks).toEqual([
      {
        id: 'web-1',
        name: 'web-1',
        framework_id: 'operator',
        executor_id: '',
        slave_id: 'a1',
        state: 'TASK_RUNNING',
        resources: { cpus: 1, mem: 128, disk: 0, gpus: 0 },
        statuses: [
          { state: 'TASK_STAGING', timestamp: T0 / 1000 },
          { state: 'TASK_RUNNING', timestamp: (T0 + 1500) / 1000, healthy: true },
        ],
        labels: [{ key: 'app', value: 'web' }],
        healthy: true,
      },
    ]);
    expect(frameworks[0].completed_tasks).toEqual([expect.objectContaining({ id: 'job-1', state: 'TASK_FINISHED' })]);
  });
});
