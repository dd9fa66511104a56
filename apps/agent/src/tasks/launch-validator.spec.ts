import type { TaskInfo } from '@pando/protocol';
import type { Executor } from '@pando/sdk';
import { planLaunch, type LaunchValidationContext } from './launch-validator';
import { taskEnvironment, taskPorts } from './task-env';

function task(taskId: string, extra: Partial<TaskInfo> = {}): TaskInfo {
  return { taskId, name: taskId, frameworkId: 'fw', agentId: 'a1', executor: 'command', resources: [], command: { value: 'true', shell: true }, ...extra };
}

const commandLike: Executor = {
  validate: (t) => (t.command?.value ? [] : ['needs a command']),
  launch: async () => undefined,
  kill: async () => undefined,
};
const throwing: Executor = {
  validate: () => {
    throw new Error('boom');
  },
  launch: async () => undefined,
  kill: async () => undefined,
};

function context(known: string[] = []): LaunchValidationContext {
  return {
    agentId: 'a1',
    knows: (id) => known.includes(id),
    lookup: (id) => {
      if (id === 'command') return { executor: commandLike };
      if (id === 'flaky') return { executor: throwing };
      if (id === 'docker') return { problem: "executor 'docker' is not available on this agent: no docker socket" };
      return { problem: `executor '${id}' is not enabled on this agent (enabled: command)` };
    },
  };
}

describe('planLaunch', () => {
  it('accepts a valid group', () => {
    expect(planLaunch('fw', [task('a'), task('b')], context())).toEqual({ tasks: [task('a'), task('b')], duplicates: [], problems: [] });
  });

  it('lists every problem of every task, naming each task', () => {
    const group = [
      task('a', { executor: 'nope' }),
      task('b', { command: { shell: true } }),
      task('c', { frameworkId: 'other' }),
      task('d', { agentId: 'a2', executor: 'docker' }),
      task('e', { executor: 'flaky' }),
      task('f', { resources: [{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 1000, end: 3000 }] } }] }),
    ];
    const plan = planLaunch('fw', group, context());
    expect(plan.tasks).toHaveLength(6);
    expect(plan.problems).toEqual([
      "task 'a': executor 'nope' is not enabled on this agent (enabled: command)",
      "task 'b': needs a command",
      "task 'c': belongs to framework 'other', not 'fw'",
      "task 'd': is meant for agent 'a2', not this agent 'a1'",
      "task 'd': executor 'docker' is not available on this agent: no docker socket",
      "task 'e': executor 'flaky' failed to validate it: boom",
      "task 'f': asks for more than 1000 ports",
    ]);
  });

  it('flags a task id given twice in one group', () => {
    expect(planLaunch('fw', [task('a'), task('a')], context()).problems).toEqual(["task 'a': appears twice in the group"]);
  });

  it('drops tasks the agent already knows instead of failing them', () => {
    const plan = planLaunch('fw', [task('old'), task('new')], context(['old']));
    expect(plan).toEqual({ tasks: [task('new')], duplicates: ['old'], problems: [] });
    expect(planLaunch('fw', [task('old')], context(['old'])).tasks).toEqual([]);
  });
});

describe('taskEnvironment', () => {
  const ported = task('web', {
    resources: [
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31005, end: 31005 }, { begin: 31000, end: 31001 }] } },
      { name: 'cpus', type: 'SCALAR', scalar: { value: 1 } },
    ],
    command: { value: 'true', shell: true, env: { FOO: 'bar', HOST: 'override' } },
  });

  it('lists ports ascending', () => {
    expect(taskPorts(ported)).toEqual([31000, 31001, 31005]);
  });

  it('gives PANDO ids, HOST, PORTn, PORTS and PORT, then the command env (which may override)', () => {
    expect(taskEnvironment(ported, { agentId: 'a1', host: '10.0.0.1', sandboxDir: '/sb' })).toEqual({
      PANDO_TASK_ID: 'web',
      PANDO_SANDBOX: '/sb',
      PANDO_FRAMEWORK_ID: 'fw',
      PANDO_AGENT_ID: 'a1',
      HOST: 'override',
      PORT0: '31000',
      PORT1: '31001',
      PORT2: '31005',
      PORTS: '31000,31001,31005',
      PORT: '31000',
      FOO: 'bar',
    });
  });

  it('sets no port variables for a task without ports', () => {
    const env = taskEnvironment(task('x'), { agentId: 'a1', host: 'h', sandboxDir: '/sb' });
    expect(Object.keys(env).sort()).toEqual(['HOST', 'PANDO_AGENT_ID', 'PANDO_FRAMEWORK_ID', 'PANDO_SANDBOX', 'PANDO_TASK_ID']);
  });
});
