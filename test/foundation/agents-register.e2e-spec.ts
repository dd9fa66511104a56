import { spawnSync } from 'node:child_process';
import { appEntry, fetchJson, TestCluster, waitFor } from '@pando/testing';

/**
 * A real nats-server, a master and two agent processes: agents register with their resources
 * and attributes, and /master/state shows them in Apache Mesos's shape.
 */
describe('agents registering with a master', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start({
      agents: 2,
      agentOptions: [
        { resources: 'cpus:2;mem:1024;disk:5000;ports:[31000-31010]', attributes: 'rack:r1;zone:a', hostname: 'node-a' },
        { resources: 'cpus:4;mem:2048;disk:8000;ports:[31000-31010]', attributes: 'rack:r2;level:3', hostname: 'node-b' },
      ],
    });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('lists both agents in /master/state with resources, attributes and the active flag', async () => {
    const state = await cluster.master.state();
    expect(state.activated_slaves).toBe(2);
    expect(state.deactivated_slaves).toBe(0);
    const byHost = Object.fromEntries(state.slaves.map((s: any) => [s.hostname, s]));
    expect(byHost['node-a']).toMatchObject({
      id: cluster.agents[0].agentId,
      active: true,
      attributes: { rack: 'r1', zone: 'a' },
      resources: { cpus: 2, mem: 1024, disk: 5000, ports: '[31000-31010]' },
      used_resources: { cpus: 0, mem: 0 },
    });
    expect(byHost['node-b'].attributes).toEqual({ rack: 'r2', level: 3 });
    expect(byHost['node-b'].resources.cpus).toBe(4);
  });

  it('serves /health on the master and the agent, and the agent /state names its master', async () => {
    expect(await fetchJson(`${cluster.master.url}/health`)).toMatchObject({ status: 'ok' });
    const agentState = await cluster.agents[0].state();
    expect(agentState.id).toBe(cluster.agents[0].agentId);
    expect(agentState.hostname).toBe('node-a');
    expect(agentState.master.registered).toBe(true);
  });

  it('detects resources when none are given', async () => {
    const agent = await cluster.addAgent({ resources: 'ports:[32000-32005]', hostname: 'node-detected' });
    const slave = await waitFor(async () => (await cluster.master.state()).slaves.find((s: any) => s.id === agent.agentId), 'detected agent');
    expect(slave.resources.cpus).toBeGreaterThanOrEqual(1);
    expect(slave.resources.mem).toBeGreaterThan(0);
    expect(slave.resources.disk).toBeGreaterThan(0);
    expect(slave.resources.ports).toBe('[32000-32005]');
  });

  it('refuses to start an agent whose resources do not parse, naming the problem', () => {
    const result = spawnSync(process.execPath, [appEntry('agent'), '--nats-servers', cluster.nats.url, '--resources', 'cpus:x;mem:-1'], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(result.status).not.toBe(0);
    expect(`${result.stderr}${result.stdout}`).toMatch(/cpus/);
  });
});
