import { findTask, OperatorClient, TestCluster, waitFor, type StateTask } from '@pando/testing';
import { freePortIn, taskIn } from './agent-e2e.helpers';

/** Health checks run by the agent next to command tasks; verdicts reach /master/state. */
describe('health checks of command tasks', () => {
  let cluster: TestCluster;
  let operator: OperatorClient;

  beforeAll(async () => {
    // A port range of its own, so tasks bind ports no other suite's agent hands out.
    cluster = await TestCluster.start({ agents: 1, agentOptions: [{ resources: 'cpus:4;mem:4096;disk:10000;ports:[42000-42999]' }] });
    operator = await OperatorClient.connect(cluster.nats.url);
  });

  afterAll(async () => {
    await operator?.close();
    await cluster?.stop();
  });

  const agentId = (): string => cluster.agents[0]!.agentId;

  it('reports an HTTP server healthy (HTTP and TCP checks on its port)', async () => {
    const port = await freePortIn(42000, 42999);
    const server = { command: 'exec python3 -m http.server $PORT0 --bind 127.0.0.1', resources: `cpus:0.1;mem:32;ports:[${port}-${port}]` };
    const http = await operator.launch(agentId(), {
      ...server,
      healthCheck: { type: 'HTTP', http: { portIndex: 0, path: '/' }, delaySeconds: 0, intervalSeconds: 0.5, gracePeriodSeconds: 20 },
    });
    const task = await waitForHealthy(http);
    expect(task.statuses.find((s) => s.healthy === true)).toMatchObject({
      state: 'TASK_RUNNING',
      reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED',
      message: `health check passed: GET http://127.0.0.1:${port}/ answered 200`,
    });
    await operator.kill(http, 1000);
    await taskIn(cluster, http, ['TASK_KILLED']);

    const tcpPort = await freePortIn(42000, 42999);
    const tcp = await operator.launch(agentId(), {
      ...server,
      resources: `cpus:0.1;mem:32;ports:[${tcpPort}-${tcpPort}]`,
      healthCheck: { type: 'TCP', delaySeconds: 0, intervalSeconds: 0.5, gracePeriodSeconds: 20 },
    });
    await waitForHealthy(tcp);
    await operator.kill(tcp, 1000);
    await taskIn(cluster, tcp, ['TASK_KILLED']);
  });

  it('kills a task whose COMMAND check fails maxConsecutiveFailures times, as KILLED with REASON_HEALTH_CHECK_FAILED', async () => {
    const started = Date.now();
    const taskId = await operator.launch(agentId(), {
      command: 'exec sleep 300',
      healthCheck: { type: 'COMMAND', command: { value: 'echo "not ready in $PWD" >&2; exit 1' }, delaySeconds: 0, intervalSeconds: 0.5, gracePeriodSeconds: 0, maxConsecutiveFailures: 2 },
    });
    const task = await taskIn(cluster, taskId, ['TASK_KILLED']);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(task.healthy).toBe(false);
    expect(task.statuses.map((s) => [s.state, s.healthy])).toEqual(expect.arrayContaining([['TASK_RUNNING', false]]));
    const last = task.statuses.at(-1)!;
    expect(last).toMatchObject({ state: 'TASK_KILLED', reason: 'REASON_HEALTH_CHECK_FAILED', healthy: false });
    expect(last.message).toMatch(/^killed: failed 2 consecutive health checks \(last: command check exited with code 1: not ready in .*sandboxes\/operator\//);
  });

  it('refuses a task whose health check cannot work, naming the problem', async () => {
    const taskId = await operator.launch(agentId(), { command: 'sleep 10', healthCheck: { type: 'HTTP', http: { portIndex: 3 } } });
    const task = await taskIn(cluster, taskId, ['TASK_ERROR']);
    expect(task.statuses.at(-1)!.message).toContain('healthCheck: portIndex 3 is out of range: the task has 0 port(s)');
  });

  /** `healthy` in /master/state is the task's last verdict. */
  function waitForHealthy(taskId: string): Promise<StateTask> {
    return waitFor(async () => {
      const task = findTask(await cluster.master.state(), taskId);
      return task?.state === 'TASK_RUNNING' && task.healthy === true ? task : undefined;
    }, `task ${taskId} RUNNING and healthy`, 20_000);
  }
});
