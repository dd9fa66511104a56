import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Subjects } from '@pando/protocol';
import { fetchJson, findTask, OperatorClient, TestCluster, waitFor } from '@pando/testing';

/** What happens when processes die or messages are garbage. */
describe('failures', () => {
  let cluster: TestCluster;
  let operator: OperatorClient;
  let nc: NatsConnection;

  beforeAll(async () => {
    cluster = await TestCluster.start({ agents: 2 });
    operator = await OperatorClient.connect(cluster.nats.url);
    nc = await connect({ servers: cluster.nats.url });
  });

  afterAll(async () => {
    await nc?.close();
    await operator?.close();
    await cluster?.stop();
  });

  it('answers malformed and unknown messages with typed errors, without crashing or changing state', async () => {
    const before = await cluster.master.state();
    const garbage = await nc.request(Subjects.agentRegister, new TextEncoder().encode('{not json'), { timeout: 3000 });
    expect(JSON.parse(new TextDecoder().decode(garbage.data))).toMatchObject({ ok: false, error: { code: 'INPUT' } });
    const wrongShape = await nc.request(Subjects.agentRegister, new TextEncoder().encode('{"hostname": 7}'), { timeout: 3000 });
    const body = JSON.parse(new TextDecoder().decode(wrongShape.data));
    expect(body).toMatchObject({ ok: false, error: { code: 'INPUT' } });
    expect(body.error.details.length).toBeGreaterThan(1);
    nc.publish(Subjects.agentStatus, new TextEncoder().encode('[]'));
    nc.publish(Subjects.agentLaunch(cluster.agents[0].agentId), new TextEncoder().encode('{"tasks": "nope"}'));
    nc.publish(Subjects.agentKill(cluster.agents[0].agentId), new TextEncoder().encode('\u0000'));
    await nc.flush();
    await new Promise((r) => setTimeout(r, 500));
    const after = await cluster.master.state();
    expect(after.slaves.length).toBe(before.slaves.length);
    expect((await fetchJson(`${cluster.agents[0].url}/health`)).registered).toBe(true);
    expect(cluster.master.process.running).toBe(true);
  });

  it('keeps running tasks known across a master restart: agents re-register on their own', async () => {
    const agentId = cluster.agents[0].agentId;
    const taskId = await operator.launch(agentId, { command: 'sleep 60', resources: 'cpus:0.5;mem:64' });
    await waitFor(async () => findTask(await cluster.master.state(), taskId)?.state === 'TASK_RUNNING', 'task running');

    await cluster.restartMaster();
    const state = await waitFor(async () => {
      const s = await cluster.master.state();
      return s.activated_slaves === 2 && findTask(s, taskId)?.state === 'TASK_RUNNING' ? s : undefined;
    }, 'agents re-registered with their task', 20_000);
    const slave = state.slaves.find((s: any) => s.id === agentId);
    expect(slave.used_resources).toMatchObject({ cpus: 0.5, mem: 64 });
    await operator.kill(taskId);
    await waitFor(async () => findTask(await cluster.master.state(), taskId)?.state === 'TASK_KILLED', 'task killed');
  });

  it('marks an agent killed with SIGKILL UNREACHABLE within the detection time, and its tasks too', async () => {
    const agent = cluster.agents[1];
    const taskId = await operator.launch(agent.agentId, { command: 'sleep 120' });
    await waitFor(async () => findTask(await cluster.master.state(), taskId)?.state === 'TASK_RUNNING', 'task running');

    await agent.kill9();
    const killedAt = Date.now();
    await waitFor(async () => {
      const s = await cluster.master.state();
      return s.slaves.find((x: any) => x.id === agent.agentId)?.active === false;
    }, 'agent inactive', 20_000, 200);
    const detectionMs = Date.now() - killedAt;
    expect(detectionMs).toBeLessThanOrEqual(15_000);
    const state = await cluster.master.state();
    expect(state.unreachable_slaves).toBe(1);
    expect(findTask(state, taskId)?.state).toBe('TASK_UNREACHABLE');
  });
});
