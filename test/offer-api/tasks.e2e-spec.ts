import { Resources } from '@pando/resources';
import { fetchJson, findTask, TestCluster, waitFor } from '@pando/testing';
import type { TaskStatus } from '@pando/protocol';
import { FAST_MASTER_ARGS, TestFramework } from './test-framework.fixture';

jest.setTimeout(60_000);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Task lifecycle through the offer API: kill, reconciliation, reliable updates, recovery. */
describe('tasks', () => {
  let cluster: TestCluster;
  let aware: TestFramework;
  let legacy: TestFramework;
  /** Updates (by uuid) the `aware` framework refuses once, to see them delivered again. */
  const refuseOnce = new Set<string>();
  const refusedAt = new Map<string, number>();

  beforeAll(async () => {
    cluster = await TestCluster.start({ agents: 1, masterArgs: FAST_MASTER_ARGS });
    aware = await TestFramework.start({
      natsUrl: cluster.nats.url,
      info: { name: 'aware', roles: ['a'], capabilities: ['PARTITION_AWARE'] },
      onUpdate: (_fw, status) => {
        if (status.uuid && refuseOnce.delete(status.taskId)) {
          refusedAt.set(status.uuid, Date.now());
          throw new Error('not this time');
        }
      },
    });
    legacy = await TestFramework.start({ natsUrl: cluster.nats.url, info: { name: 'legacy', roles: ['b'] } });
  });

  afterAll(async () => {
    await aware?.stop();
    await legacy?.stop();
    await cluster?.stop();
  });

  const launch = async (fw: TestFramework, name: string, command: string, resources = 'cpus:0.2;mem:32', extra = {}): Promise<string> => {
    const offer = fw.take(await fw.anyOffer());
    const task = fw.task(offer, name, resources, command, extra);
    const reply = await fw.driver.launch(offer, [task], { refuseSeconds: 0 });
    expect(reply.refusedOffers).toBeUndefined();
    return task.taskId;
  };

  it('kills a task on KILL, honouring the kill policy grace period', async () => {
    const taskId = await launch(aware, 'stubborn', "trap '' TERM; sleep 60 & wait; sleep 60");
    await aware.stateOf(taskId, ['RUNNING']);
    const started = Date.now();
    await aware.driver.kill(taskId, undefined, 500);
    const killed = await aware.stateOf(taskId, ['KILLED']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(killed.uuid).toBeDefined();
    expect(findTask(await cluster.master.state(), taskId)?.state).toBe('TASK_KILLED');
  });

  it('gives the resources of a finished task back, to be offered again', async () => {
    const offer = aware.take(await aware.anyOffer());
    const whole = Resources.fromJson(offer.resources).scalar('cpus');
    const task = aware.task(offer, 'short', `cpus:${whole};mem:32`, 'sleep 0.3');
    await aware.driver.launch(offer, [task], { refuseSeconds: 0 });
    await aware.stateOf(task.taskId, ['RUNNING']);
    await aware.stateOf(task.taskId, ['FINISHED']);
    const back = await waitFor(
      () => [...aware.held.values(), ...legacy.held.values()].find((o) => Resources.fromJson(o.resources).scalar('cpus') >= whole),
      'the cpus offered again',
    );
    expect(back.agentId).toBe(offer.agentId);
  });

  it('delivers an agent update again until the framework acknowledges it', async () => {
    const offer = aware.take(await aware.anyOffer());
    const task = aware.task(offer, 'acked-late', 'cpus:0.1;mem:32', 'sleep 60');
    refuseOnce.add(task.taskId);
    await aware.driver.launch(offer, [task], { refuseSeconds: 0 });
    // The first update (STARTING or RUNNING) is refused once: the master sends it again.
    const first = await waitFor(() => aware.updates.find((u) => u.taskId === task.taskId), 'the first update');
    const copies = await waitFor(() => {
      const same = aware.updates.filter((u) => u.taskId === task.taskId && u.uuid === first.uuid);
      return same.length >= 2 ? same : undefined;
    }, 'the same update again', 10_000);
    expect(copies[1]).toEqual(copies[0]);
    const gap = Date.now() - refusedAt.get(first.uuid!)!;
    expect(gap).toBeGreaterThanOrEqual(800);
    await aware.stateOf(task.taskId, ['RUNNING']);
    // Once acknowledged it is not sent again, and the agent has nothing left to re-send.
    await waitFor(async () => (await fetchJson(`${cluster.agents[0].url}/state`)).pending_status_updates === 0, 'agent acknowledged');
    const count = aware.updates.filter((u) => u.uuid === first.uuid).length;
    await sleep(1500);
    expect(aware.updates.filter((u) => u.uuid === first.uuid).length).toBe(count);
  });

  it('answers explicit reconciliation as Mesos does, per partition awareness', async () => {
    const running = await launch(legacy, 'legacy-running', 'sleep 60');
    await legacy.stateOf(running, ['RUNNING']);
    const agentId = cluster.agents[0].agentId;
    const ask = async (fw: TestFramework, tasks: Array<{ taskId: string; agentId?: string }>): Promise<TaskStatus[]> => {
      const mark = fw.updates.length;
      // Right after a master start, unknown agents get no answer (they may still re-register): ask until answered.
      return waitFor(async () => {
        await fw.driver.reconcile(tasks);
        await sleep(200);
        const answers = fw.updates.slice(mark).filter((u) => u.reason === 'REASON_RECONCILIATION');
        return answers.length >= tasks.length ? answers : undefined;
      }, 'reconciliation answers');
    };
    const legacyAnswers = await ask(legacy, [{ taskId: running }, { taskId: 'never-launched', agentId }, { taskId: 'nowhere', agentId: 'no-such-agent' }]);
    const byTask = (answers: TaskStatus[], id: string) => answers.find((a) => a.taskId === id)!;
    expect(byTask(legacyAnswers, running)).toMatchObject({ state: 'RUNNING', source: 'SOURCE_MASTER', reason: 'REASON_RECONCILIATION', agentId });
    expect(byTask(legacyAnswers, running).uuid).toBeUndefined();
    expect(byTask(legacyAnswers, 'never-launched').state).toBe('LOST');
    expect(byTask(legacyAnswers, 'nowhere').state).toBe('LOST');
    const awareAnswers = await ask(aware, [{ taskId: 'never-launched', agentId }, { taskId: 'nowhere', agentId: 'no-such-agent' }, { taskId: running }]);
    expect(byTask(awareAnswers, 'never-launched').state).toBe('GONE');
    expect(byTask(awareAnswers, 'nowhere').state).toBe('UNKNOWN');
    // Another framework's task is unknown to this one.
    expect(byTask(awareAnswers, running).state).toBe('GONE');
  });

  it('answers implicit reconciliation with every non-terminal task of the framework', async () => {
    const live = (await cluster.master.state()).frameworks.find((f: any) => f.id === aware.id).tasks.map((t: any) => t.id).sort();
    expect(live.length).toBeGreaterThan(0);
    const mark = aware.updates.length;
    await aware.driver.reconcile();
    const answers = await waitFor(() => {
      const got = aware.updates.slice(mark).filter((u) => u.reason === 'REASON_RECONCILIATION');
      return got.length >= live.length ? got : undefined;
    }, 'implicit answers');
    expect(answers.map((a) => a.taskId).sort()).toEqual(live);
    expect(new Set(answers.map((a) => a.state))).toEqual(new Set(['RUNNING']));
  });

  it('tells a framework that kills a task the master does not know about it', async () => {
    await legacy.driver.kill('unheard-of');
    const status = await legacy.stateOf('unheard-of', ['LOST']);
    expect(status.source).toBe('SOURCE_MASTER');
    await aware.driver.kill('unheard-of-too');
    await aware.stateOf('unheard-of-too', ['UNKNOWN']);
  });

  it('kills the tasks of a framework that tears down and forgets it', async () => {
    // The other frameworks let go of the agent, so that the new one is offered it.
    for (const fw of [aware, legacy]) {
      await fw.driver.suppress();
      const held = [...fw.held.values()].map((o) => fw.take(o));
      if (held.length > 0) await fw.driver.decline(held, { refuseSeconds: 60 });
    }
    const doomed = await TestFramework.start({ natsUrl: cluster.nats.url, info: { name: 'doomed', roles: ['c'] } });
    let taskId: string;
    try {
      taskId = await launch(doomed, 'doomed-task', 'sleep 60');
      await doomed.stateOf(taskId, ['RUNNING']);
    } finally {
      await doomed.stop(true);
    }
    const id = doomed.id;
    const state = await waitFor(async () => {
      const s = await cluster.master.state();
      return s.completed_frameworks.some((f: any) => f.id === id) ? s : undefined;
    }, 'framework removed');
    expect(state.frameworks.some((f: any) => f.id === id)).toBe(false);
    expect(findTask(state, taskId)?.state).toBe('TASK_KILLED');
    await waitFor(async () => (await fetchJson(`${cluster.agents[0].url}/state`)).tasks.every((t: any) => t.id !== taskId), 'task gone on the agent');
  });
});
