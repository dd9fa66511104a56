import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, startAgent, waitFor, type RunningAgent } from '@pando/testing';
import { processesWith } from '../agent/agent-e2e.helpers';
import { TestFramework } from '../offer-api/test-framework.fixture';
import { AGENT_HEARTBEAT_MS, AGENT_MAX_MISSED, HaCluster, TaskLedger } from './ha-cluster.fixture';

jest.setTimeout(180_000);

const PER_AGENT = 4;
/** Heartbeat interval × missed heartbeats, plus the 1 s liveness check tick. */
const DETECTION_MS = AGENT_HEARTBEAT_MS * AGENT_MAX_MISSED + 1000;
const TERMINAL = new Set(['FINISHED', 'FAILED', 'KILLED', 'ERROR', 'LOST', 'DROPPED', 'GONE', 'GONE_BY_OPERATOR']);
const runId = `ha-${process.pid}`;

const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' }).trim();
const containerOf = (taskId: string): string => docker('ps', '-q', '--filter', `label=pando.task-id=${taskId}`);

/**
 * Chaos (b) and (c) with highly available masters: an agent SIGKILLed and restarted keeps its
 * command tasks and reports them again; an agent SIGKILLed for good has its tasks UNREACHABLE
 * within the detection time. Counts: tasks launched vs accounted for, updates vs acknowledged.
 */
describe('kill -9 of agents (3 masters, 3-node NATS)', () => {
  let cluster: HaCluster;
  let fw: TestFramework;
  let ledger: TaskLedger;
  const tasksOn = new Map<string, string[]>();

  beforeAll(async () => {
    for (const script of ['docker-engine.sh', 'build-test-images.sh']) execFileSync('bash', [join(repoRoot(), 'scripts', script)], { stdio: 'ignore', timeout: 300_000 });
    cluster = await HaCluster.start({ masters: 3, agents: 2, agentOptions: { args: ['--executors', 'command,docker'] } });
    const nc = await cluster.connect();
    fw = await TestFramework.start({ natsUrl: '', nc, info: { name: 'ha-agents', capabilities: ['PARTITION_AWARE'] } });
    ledger = new TaskLedger(fw);
    for (const agent of cluster.agents) {
      const offer = fw.take(await fw.offerWhere((o) => o.agentId === agent.agentId, `an offer on ${agent.agentId}`));
      const ids = Array.from({ length: PER_AGENT }, (_, i) => `${agent.options.hostname}-t${i}`);
      await ledger.launch(offer, ids, (id) => `sleep 600 & wait; echo =${id}=`);
      const containerTask = `${agent.options.hostname}-docker`;
      const image = { type: 'DOCKER' as const, docker: { image: 'pando/busybox:latest', pullPolicy: 'never' as const, labels: { 'pando.test-run': runId } } };
      await ledger.launch(fw.take(await fw.offerWhere((o) => o.agentId === agent.agentId, `another offer on ${agent.agentId}`)), [containerTask], () => 'sleep 600', { executor: 'docker', container: image });
      tasksOn.set(agent.agentId, [...ids, containerTask]);
    }
    await waitFor(() => [...ledger.launched.keys()].every((id) => ledger.latest(id)?.state === 'RUNNING'), 'every task running', 30_000);
  });

  afterAll(async () => {
    await fw?.stop(false);
    await cluster?.stop();
    const left = docker('ps', '-aq', '--filter', `label=pando.test-run=${runId}`);
    if (left) docker('rm', '-f', ...left.split('\n'));
  });

  const pendingOn = async (agent: RunningAgent): Promise<number> => (await agent.state()).pending_status_updates as number;

  it('(b) an agent killed and restarted keeps its command and Docker tasks and reports them again', async () => {
    const agent = cluster.agents[0]!;
    const ids = tasksOn.get(agent.agentId)!;
    const commandIds = ids.filter((id) => !id.endsWith('-docker'));
    const containerTask = ids.find((id) => id.endsWith('-docker'))!;
    const pids = commandIds.map((id) => processesWith(`echo =${id}=`));
    expect(pids.every((p) => p.length === 1)).toBe(true);
    const container = containerOf(containerTask);
    expect(container).not.toBe('');
    const heard = fw.updates.length;
    await agent.kill9();
    const restarted = await startAgent(agent.options);
    cluster.agents[0] = restarted;
    expect(restarted.agentId).toBe(agent.agentId);
    // Same processes and container, reported to the leader by the same agent id.
    expect(commandIds.map((id) => processesWith(`echo =${id}=`))).toEqual(pids);
    expect(containerOf(containerTask)).toBe(container);
    const leader = await cluster.leader();
    await waitFor(async () => {
      const state = await leader.state();
      const mine = state.frameworks.find((f: { id: string }) => f.id === fw.id);
      const here = mine.tasks.filter((t: { slave_id: string; state: string }) => t.slave_id === agent.agentId && t.state === 'TASK_RUNNING');
      return here.length === ids.length;
    }, 'the tasks re-reported as running', 20_000);
    // Nothing terminal heard. A restart slower than the detection time (2 s here, on a loaded
    // machine) may show UNREACHABLE first; each task is RUNNING again afterwards.
    expect(fw.updates.slice(heard).filter((u) => ids.includes(u.taskId) && TERMINAL.has(u.state))).toEqual([]);
    await waitFor(() => ids.every((id) => ledger.latest(id)?.state === 'RUNNING'), 'the framework to hear every task RUNNING', 20_000);
    expect((await restarted.state()).tasks.map((t: { id: string }) => t.id).sort()).toEqual([...ids].sort());
    await waitFor(async () => (await pendingOn(restarted)) === 0, 'no unacknowledged update on the restarted agent', 20_000);
  });

  it('(c) an agent killed for good has its tasks UNREACHABLE within the detection time', async () => {
    const agent = cluster.agents[1]!;
    const ids = tasksOn.get(agent.agentId)!;
    const heard = fw.updates.length;
    const killedAt = Date.now();
    await agent.kill9();
    await waitFor(
      () => ids.every((id) => fw.updates.slice(heard).some((u) => u.taskId === id && u.state === 'UNREACHABLE')),
      'UNREACHABLE for every task of the killed agent',
      DETECTION_MS + 5000,
      20,
    );
    const tookMs = Date.now() - killedAt;
    process.stderr.write(`[ha] agent killed: ${ids.length} tasks UNREACHABLE after ${tookMs} ms (detection bound ${DETECTION_MS} ms)\n`);
    expect(tookMs).toBeLessThanOrEqual(DETECTION_MS + 500);
    // Exactly its tasks, each once; the other agent's tasks are untouched.
    const unreachable = fw.updates.slice(heard).filter((u) => u.state === 'UNREACHABLE');
    expect(unreachable.map((u) => u.taskId).sort()).toEqual([...ids].sort());
    const settled = await ledger.settle();
    const survivors = tasksOn.get(cluster.agents[0]!.agentId)!;
    expect([...settled].filter(([id]) => survivors.includes(id)).map(([, s]) => s.state)).toEqual(survivors.map(() => 'RUNNING'));
    expect([...settled].filter(([id]) => ids.includes(id)).map(([, s]) => s.state)).toEqual(ids.map(() => 'UNREACHABLE'));
    expect(settled.size).toBe(ledger.launched.size);
    const leader = await cluster.leader();
    const state = await leader.state();
    expect(state).toMatchObject({ activated_slaves: 1, unreachable_slaves: 1 });
    expect(await pendingOn(cluster.agents[0]!)).toBe(0);
  });
});
