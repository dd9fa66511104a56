import { connect } from '@nats-io/transport-node';
import { Resources } from '@pando/resources';
import { SchedulerDriver } from '@pando/sdk';
import { findTask, TestCluster, waitFor } from '@pando/testing';
import { FAST_MASTER_ARGS, TestFramework } from './test-framework.fixture';

jest.setTimeout(60_000);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Agents, frameworks and the master failing, seen through the offer API. */
describe('failures', () => {
  let cluster: TestCluster;
  const frameworks: TestFramework[] = [];

  beforeAll(async () => {
    cluster = await TestCluster.start({ agents: 2, masterArgs: [...FAST_MASTER_ARGS, '--offer-timeout-ms', '3000'] });
  });

  afterAll(async () => {
    for (const fw of frameworks) await fw.stop();
    await cluster?.stop();
  });

  const start = async (name: string, extra: Record<string, unknown> = {}): Promise<TestFramework> => {
    const fw = await TestFramework.start({ natsUrl: cluster.nats.url, info: { name, roles: [name], ...extra } });
    frameworks.push(fw);
    return fw;
  };

  /** Launches one task on an offer of `agentId`; the rest of the offer comes back after `refuseSeconds`. */
  const launchOn = async (fw: TestFramework, agentId: string, name: string, refuseSeconds: number): Promise<string> => {
    const offer = fw.take(await fw.offerWhere((o) => o.agentId === agentId, `an offer of ${agentId}`));
    const task = fw.task(offer, name, 'cpus:0.5;mem:64', 'sleep 120');
    expect((await fw.driver.launch(offer, [task], { refuseSeconds })).refusedOffers).toBeUndefined();
    await fw.stateOf(task.taskId, ['RUNNING']);
    return task.taskId;
  };

  it('rescinds an offer nobody answers within --offer-timeout-ms and offers the resources again', async () => {
    const fw = await start('patient');
    const offer = await fw.anyOffer();
    const seen = Date.now();
    await waitFor(() => fw.rescinded.includes(offer.id), 'the offer rescinded', 6000, 20);
    expect(Date.now() - seen).toBeGreaterThan(2000);
    const again = await fw.offerWhere((o) => o.agentId === offer.agentId && o.id !== offer.id, 'the agent offered again');
    expect(again.id).not.toBe(offer.id);
    expect((await fw.driver.launch(offer, [fw.task(offer, 'late', 'cpus:0.1;mem:32')])).refusedOffers?.[0]?.offerId).toBe(offer.id);
    await fw.stop();
  });

  it('turns the tasks of a killed agent UNREACHABLE (LOST if not partition-aware), rescinds its offers, and takes them back when it returns', async () => {
    const victim = cluster.agents[1];
    const aware = await start('aware', { capabilities: ['PARTITION_AWARE'] });
    const legacy = await start('legacy');
    const awareTask = await launchOn(aware, victim.agentId, 'aware-task', 3600);
    const legacyTask = await launchOn(legacy, victim.agentId, 'legacy-task', 0);
    // legacy holds the rest of the victim (aware filtered it for an hour).
    const held = await legacy.offerWhere((o) => o.agentId === victim.agentId, 'an outstanding offer on the victim');

    await victim.kill9();
    await waitFor(() => legacy.rescinded.includes(held.id), 'the offer on the lost agent rescinded', 10_000, 20);
    const unreachable = await aware.stateOf(awareTask, ['UNREACHABLE'], 10_000);
    expect(unreachable).toMatchObject({ source: 'SOURCE_MASTER', reason: 'REASON_AGENT_DISCONNECTED' });
    expect(unreachable.uuid).toBeUndefined();
    await legacy.stateOf(legacyTask, ['LOST'], 10_000);
    const state = await cluster.master.state();
    expect(findTask(state, awareTask)?.state).toBe('TASK_UNREACHABLE');
    expect(state.frameworks.find((f: any) => f.id === aware.id).unreachable_tasks.map((t: any) => t.id)).toEqual([awareTask]);
    expect(state.slaves.find((s: any) => s.id === victim.agentId)).toMatchObject({ active: false, offered_resources: expect.objectContaining({ cpus: 0 }) });

    // The agent comes back with its id: its tasks are no longer UNREACHABLE and frameworks hear so.
    const mark = aware.updates.length;
    await cluster.addAgent({ ...victim.options });
    await waitFor(() => aware.updates.slice(mark).find((u) => u.taskId === awareTask && u.state !== 'UNREACHABLE'), 'the aware task back', 15_000);
    expect(findTask(await cluster.master.state(), awareTask)?.state).not.toBe('TASK_UNREACHABLE');
    // Frameworks that hold offers they do not use starve the others (DRF ties go to the same role): leave.
    await aware.stop();
    await legacy.stop();
  });

  it('keeps a disconnected framework\'s tasks until its failover timeout, then kills them and removes it', async () => {
    const fw = await start('short-lived', { failoverTimeoutSeconds: 3 });
    const taskId = await launchOn(fw, cluster.agents[0].agentId, 'orphan-to-be', 0);
    const id = fw.id;
    await fw.stop(false); // the scheduler vanishes; no TEARDOWN
    const disconnected = await waitFor(async () => {
      const s = await cluster.master.state();
      const f = s.frameworks.find((x: any) => x.id === id);
      return f && !f.connected ? s : undefined;
    }, 'framework disconnected', 10_000);
    expect(findTask(disconnected, taskId)?.state).toBe('TASK_RUNNING');
    const removedState = await waitFor(async () => {
      const s = await cluster.master.state();
      return s.completed_frameworks.some((f: any) => f.id === id) ? s : undefined;
    }, 'framework removed after its failover timeout', 10_000);
    expect(findTask(removedState, taskId)?.state).toBe('TASK_KILLED');
    // It may not come back under that id.
    const nc = await connect({ servers: cluster.nats.url });
    const late = new SchedulerDriver({ nc, frameworkInfo: { name: 'short-lived', id }, scheduler: { offers: () => undefined, update: () => undefined } });
    await expect(late.start()).rejects.toMatchObject({ code: 'CONFLICT' });
    await nc.close();
  });

  it('lets a framework fail over to a new scheduler within its timeout, keeping its tasks', async () => {
    const first = await start('phoenix', { failoverTimeoutSeconds: 60 });
    const taskId = await launchOn(first, cluster.agents[0].agentId, 'survivor', 0);
    const id = first.id;
    await first.stop(false);
    const second = await start('phoenix', { id, failoverTimeoutSeconds: 60 });
    expect(second.id).toBe(id);
    await second.stateOf(taskId, ['RUNNING']);
    expect(second.updates.find((u) => u.taskId === taskId)?.reason).toBe('REASON_RECONCILIATION');
    const state = await cluster.master.state();
    expect(state.frameworks.find((f: any) => f.id === id)).toMatchObject({ active: true, connected: true });
    expect(findTask(state, taskId)?.state).toBe('TASK_RUNNING');
  });

  it('survives a master restart: frameworks re-subscribe with their ids and reconcile, no task lost or duplicated', async () => {
    for (const fw of frameworks.splice(0)) await fw.stop();
    const fw = await start('durable', { failoverTimeoutSeconds: 600 });
    const tasks = [await launchOn(fw, cluster.agents[0].agentId, 'd1', 0), await launchOn(fw, cluster.agents[0].agentId, 'd2', 0)];
    const before = await cluster.master.state();
    const usedBefore = before.slaves.find((s: any) => s.id === cluster.agents[0].agentId).used_resources.cpus;

    await cluster.restartMaster([...FAST_MASTER_ARGS, '--offer-timeout-ms', '3000']);
    const state = await waitFor(async () => {
      const s = await cluster.master.state();
      const f = s.frameworks.find((x: any) => x.id === fw.id);
      return f?.active && s.activated_slaves === 2 && tasks.every((t) => findTask(s, t)?.state === 'TASK_RUNNING') ? s : undefined;
    }, 'framework and agents back', 20_000);
    const framework = state.frameworks.find((f: any) => f.id === fw.id);
    expect(framework.tasks.map((t: any) => t.id).sort()).toEqual([...tasks].sort());
    expect(framework.recovered).toBe(false);
    expect(state.slaves.find((s: any) => s.id === cluster.agents[0].agentId).used_resources.cpus).toBe(usedBefore);
    expect(fw.updates.filter((u) => tasks.includes(u.taskId) && !['STARTING', 'RUNNING'].includes(u.state))).toEqual([]);
    // The framework reconciles: both tasks RUNNING; and it is offered what is free, not what its tasks use.
    const mark = fw.updates.length;
    await fw.driver.reconcile(tasks.map((taskId) => ({ taskId })));
    await waitFor(() => tasks.every((t) => fw.updates.slice(mark).some((u) => u.taskId === t && u.state === 'RUNNING')), 'reconciled RUNNING');
    const offer = await fw.offerWhere((o) => o.agentId === cluster.agents[0].agentId, 'an offer after the restart');
    expect(Resources.fromJson(offer.resources).scalar('cpus')).toBeCloseTo(4 - usedBefore, 5);
  });
});
