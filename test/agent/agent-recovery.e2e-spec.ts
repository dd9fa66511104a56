import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fetchJson, OperatorClient, startMaster, TestCluster, waitFor, type RunningAgent } from '@pando/testing';
import { logRecords, processesWith, sandboxOf, taskIn, uniqueNumber } from './agent-e2e.helpers';

/**
 * An agent killed with SIGKILL and started again on the same work dir: it keeps its id,
 * re-attaches its command tasks (which outlived it under their supervisors), reports what ended
 * while it was down, and re-sends the updates the master had not acknowledged.
 */
describe('agent recovery after kill -9', () => {
  let cluster: TestCluster;
  let operator: OperatorClient;

  beforeAll(async () => {
    cluster = await TestCluster.start({ agents: 1 });
    operator = await OperatorClient.connect(cluster.nats.url);
  });

  afterAll(async () => {
    await operator?.close();
    await cluster?.stop();
  });

  /** The agent process currently running on the first agent's work dir. */
  const current = (): RunningAgent => cluster.agents.at(-1)!;

  async function killAndRestart(): Promise<RunningAgent> {
    const before = current();
    await before.kill9();
    return cluster.addAgent({ workDir: before.workDir });
  }

  it('keeps its id and its running task (no second process); a task that ended meanwhile is reported with its exit code', async () => {
    const agent = current();
    const marker = uniqueNumber();
    const long = await operator.launch(agent.agentId, { command: `exec sleep ${marker}`, resources: 'cpus:0.5;mem:32' });
    const short = await operator.launch(agent.agentId, { command: 'sleep 2; exit 4' });
    await taskIn(cluster, long, ['TASK_RUNNING']);
    await taskIn(cluster, short, ['TASK_RUNNING']);
    const pids = processesWith(`sleep ${marker}`);
    expect(pids).toHaveLength(1);

    await agent.kill9();
    // The short task ends while no agent runs; its supervisor records how.
    await waitFor(() => existsSync(join(sandboxOf(agent, short), 'exit-status.json')), 'the short task to end', 10_000);
    const restarted = await cluster.addAgent({ workDir: agent.workDir });

    expect(restarted.agentId).toBe(agent.agentId);
    const failed = await taskIn(cluster, short, ['TASK_FAILED']);
    expect(failed.statuses.at(-1)).toMatchObject({ state: 'TASK_FAILED', message: 'exited with code 4' });
    const state = await cluster.master.state();
    expect(state.slaves.filter((s: any) => s.active).map((s: any) => s.id)).toEqual([agent.agentId]);
    expect((await taskIn(cluster, long, ['TASK_RUNNING'])).slave_id).toBe(agent.agentId);
    // The agent forgets the ended task once the master's acknowledgement of its FAILED update
    // arrives, which is sent just after the master records it (acks go out batched per tick).
    await waitFor(async () => (await restarted.state()).tasks.length === 1, 'the agent to drop the acknowledged ended task', 10_000);
    const agentState = await restarted.state();
    expect(agentState.tasks.map((t: any) => [t.id, t.state])).toEqual([[long, 'TASK_RUNNING']]);
    expect(processesWith(`sleep ${marker}`)).toEqual(pids);

    await operator.kill(long, 1000);
    await taskIn(cluster, long, ['TASK_KILLED']);
    await waitFor(() => processesWith(`sleep ${marker}`).length === 0, 'the task process to be gone', 5000);
  });

  it('re-sends the updates the master had not acknowledged when the agent died', async () => {
    const agent = current();
    const taskId = await operator.launch(agent.agentId, { command: 'sleep 1; exit 0' });
    await taskIn(cluster, taskId, ['TASK_RUNNING']);
    // Without a master nothing is acknowledged: FINISHED stays pending on the agent.
    const masterPort = cluster.master.httpPort;
    await cluster.master.stop();
    await waitFor(async () => (await agent.state()).pending_status_updates >= 1, 'a pending update', 10_000);
    const finished = await waitFor(
      () => logRecords(agent.process).find((r) => r.taskId === taskId && r.state === 'FINISHED' && r.msg === `task ${taskId} is FINISHED`),
      'the FINISHED update',
    );
    const uuid = finished.uuid as string;
    // Checkpoint writes are batched within 20 ms: give the batch time to land, then crash.
    await new Promise((r) => setTimeout(r, 300));
    const acked = (records: Array<Record<string, unknown>>): boolean => records.some((r) => r.msg === 'status update acknowledged' && r.uuid === uuid);
    expect(acked(logRecords(agent.process))).toBe(false);
    await agent.kill9();

    cluster.master = await startMaster({ natsUrl: cluster.nats.url, httpPort: masterPort });
    const restarted = await cluster.addAgent({ workDir: agent.workDir });
    await waitFor(() => acked(logRecords(restarted.process)), 'the same update (same uuid) to be re-sent and acknowledged', 20_000);
    await taskIn(cluster, taskId, ['TASK_FINISHED']);
    await waitFor(async () => (await restarted.state()).pending_status_updates === 0, 'nothing pending', 10_000);
    expect((await restarted.state()).completed_tasks.map((t: any) => t.id)).toContain(taskId);
    expect(readFileSync(join(sandboxOf(agent, taskId), 'exit-status.json'), 'utf8')).toMatch(/"code":0/);
  });

  it('survives repeated kill -9 while a task runs, keeping one process and one agent id', async () => {
    const marker = uniqueNumber();
    const taskId = await operator.launch(current().agentId, { command: `exec sleep ${marker}` });
    await taskIn(cluster, taskId, ['TASK_RUNNING']);
    const pids = processesWith(`sleep ${marker}`);
    const id = current().agentId;
    for (let i = 0; i < 2; i++) {
      const restarted = await killAndRestart();
      expect(restarted.agentId).toBe(id);
      await waitFor(async () => (await fetchJson(`${restarted.url}/state`)).tasks.some((t: any) => t.id === taskId && t.state === 'TASK_RUNNING'), 'task re-attached');
    }
    expect(processesWith(`sleep ${marker}`)).toEqual(pids);
    await operator.kill(taskId, 1000);
    await taskIn(cluster, taskId, ['TASK_KILLED']);
  });
});
