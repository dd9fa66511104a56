import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findTask, OperatorClient, TestCluster, waitFor, type StateTask } from '@pando/testing';

/** Command tasks on real agents: outcomes, sandboxes, environment and kill. */
describe('command tasks', () => {
  let cluster: TestCluster;
  let operator: OperatorClient;

  beforeAll(async () => {
    cluster = await TestCluster.start({ agents: 2 });
    operator = await OperatorClient.connect(cluster.nats.url);
  });

  afterAll(async () => {
    await operator?.close();
    await cluster?.stop();
  });

  const taskIn = (taskId: string, states: string[]): Promise<StateTask> =>
    waitFor(
      async () => {
        const task = findTask(await cluster.master.state(), taskId);
        return task && states.includes(task.state) ? task : undefined;
      },
      `task ${taskId} in ${states.join('|')}`,
      20_000,
    );

  const sandbox = (taskId: string): string => join(cluster.agents[0].workDir, 'sandboxes', 'operator', taskId);

  it('runs a command to FINISHED with its output and environment in the sandbox', async () => {
    const agentId = cluster.agents[0].agentId;
    const taskId = await operator.launch(agentId, {
      command: 'echo "hello from $PANDO_TASK_ID"; echo "port=$PORT0 ports=$PORTS host=$HOST"; echo oops >&2',
      resources: 'cpus:0.1;mem:32;ports:[31005-31006]',
    });
    const task = await taskIn(taskId, ['TASK_FINISHED']);
    expect(task.statuses.map((s) => s.state)).toEqual(expect.arrayContaining(['TASK_RUNNING', 'TASK_FINISHED']));
    const stdout = readFileSync(join(sandbox(taskId), 'stdout'), 'utf8');
    expect(stdout).toContain(`hello from ${taskId}`);
    expect(stdout).toContain('port=31005 ports=31005,31006');
    expect(readFileSync(join(sandbox(taskId), 'stderr'), 'utf8')).toContain('oops');
  });

  it('reports a non-zero exit as FAILED with the exit code in the message', async () => {
    const taskId = await operator.launch(cluster.agents[0].agentId, { command: 'exit 3' });
    const task = await taskIn(taskId, ['TASK_FAILED']);
    expect(JSON.stringify(task.statuses)).toMatch(/code 3/);
  });

  it('reports a command that does not exist as FAILED, never a hung task', async () => {
    const shellTask = await operator.launch(cluster.agents[0].agentId, { command: 'no-such-command-pando' });
    const direct = await operator.launch(cluster.agents[0].agentId, { command: '/no/such/binary', shell: false });
    await taskIn(shellTask, ['TASK_FAILED']);
    const task = await taskIn(direct, ['TASK_FAILED']);
    expect(JSON.stringify(task.statuses)).toMatch(/no\/such\/binary|ENOENT/);
  });

  it('kills a task that ignores SIGTERM within the grace period, as KILLED', async () => {
    const taskId = await operator.launch(cluster.agents[1].agentId, {
      command: "trap '' TERM; sleep 60 & wait; sleep 60",
      killGracePeriodMs: 1000,
    });
    await taskIn(taskId, ['TASK_RUNNING']);
    const started = Date.now();
    await operator.kill(taskId);
    await taskIn(taskId, ['TASK_KILLED']);
    expect(Date.now() - started).toBeLessThan(1000 + 4000);
  });

  it('refuses a launch that does not fit the agent, changing nothing', async () => {
    await expect(operator.launch(cluster.agents[0].agentId, { command: 'true', resources: 'cpus:1000;mem:32' })).rejects.toThrow(/cpus/);
    await expect(operator.launch('no-such-agent', { command: 'true' })).rejects.toThrow(/no-such-agent/);
  });

  it('accounts used resources on the agent while a task runs', async () => {
    const agentId = cluster.agents[1].agentId;
    const taskId = await operator.launch(agentId, { command: 'sleep 30', resources: 'cpus:1.5;mem:256' });
    await taskIn(taskId, ['TASK_RUNNING']);
    const slave = (await cluster.master.state()).slaves.find((s: any) => s.id === agentId);
    expect(slave.used_resources).toMatchObject({ cpus: 1.5, mem: 256 });
    await operator.kill(taskId);
    await taskIn(taskId, ['TASK_KILLED']);
  });
});
