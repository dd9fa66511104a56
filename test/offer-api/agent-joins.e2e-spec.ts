import { TestCluster } from '@pando/testing';
import { FAST_MASTER_ARGS, TestFramework } from './test-framework.fixture';

/**
 * An agent that joins while a framework is already subscribed: its first offer goes out at the
 * next allocation cycle, and a task launched on that offer must reach the agent. (A new agent
 * subscribes to its inbox only after it learns its id; the master offers it only after the
 * heartbeat that follows its registration, so no launch can arrive before the agent listens.)
 */
describe('an agent joining a running cluster', () => {
  let cluster: TestCluster;
  let fw: TestFramework;

  beforeAll(async () => {
    cluster = await TestCluster.start({ agents: 0, masterArgs: FAST_MASTER_ARGS });
    fw = await TestFramework.start({ natsUrl: cluster.nats.url, info: { name: 'joiner-fw', roles: ['*'] } });
  });

  afterAll(async () => {
    await fw?.stop();
    await cluster?.stop();
  });

  it('runs a task launched on its very first offer', async () => {
    for (let round = 0; round < 3; round++) {
      const agent = await cluster.addAgent({ hostname: `joiner-${round}` });
      const offer = fw.take(await fw.offerWhere((o) => o.agentId === agent.agentId, `the first offer of agent ${round}`));
      const task = fw.task(offer, `first-${round}`, 'cpus:0.1;mem:32', 'sleep 30');
      await fw.driver.launch(offer, [task], { refuseSeconds: 0 });
      await fw.stateOf(task.taskId, ['RUNNING']);
    }
  });
});
