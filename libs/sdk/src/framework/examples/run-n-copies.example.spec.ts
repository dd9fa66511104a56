import type { Offer, TaskState } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { startNatsServer, waitFor, type RunningNats } from '@pando/testing';
import { ScriptedMaster } from '../scripted-master.fixture';
import { runNCopies, type RunningCopies } from './run-n-copies.example';

// The example logs through the default root logger: quiet unless asked for.
process.env.PANDO_LOG_LEVEL ??= 'silent';

const until = <T>(probe: () => T | undefined | false, what: string): Promise<T> => waitFor(probe, what, 5000, 10);

function offer(id: string, resources: string): Offer {
  return {
    id,
    frameworkId: 'fw-1',
    agentId: `agent-of-${id}`,
    hostname: 'node',
    resources: Resources.parse(resources).toJson(),
    attributes: {},
    executors: ['command'],
    allocationInfo: { role: '*' },
  };
}

describe('the run-n-copies example framework', () => {
  let nats: RunningNats;
  let master: ScriptedMaster;
  let copies: RunningCopies | undefined;

  beforeAll(async () => {
    nats = await startNatsServer({ jetstream: false });
    master = await ScriptedMaster.create(nats.url);
  });
  afterAll(async () => {
    await copies?.stop().catch(() => undefined);
    await master?.close();
    await nats?.stop();
  });

  const launched = (): string[] =>
    master.callsOf('ACCEPT').flatMap((c) => c.accept.operations.flatMap((op) => (op.type === 'LAUNCH' ? op.launch.taskInfos.map((t) => t.taskId) : [])));
  const update = (taskId: string, state: TaskState, uuid: string): void =>
    master.publish('fw-1', {
      type: 'UPDATE',
      update: { status: { taskId, frameworkId: 'fw-1', agentId: 'agent-1', state, uuid, timestamp: Date.now(), source: 'SOURCE_AGENT' } },
    });

  it('launches N copies from offers, declines and suppresses, relaunches failures, and tears down', async () => {
    copies = await runNCopies({ natsServers: [nats.url], command: 'sleep 30', copies: 3, resources: 'cpus:0.5;mem:32' });

    master.publish('fw-1', { type: 'OFFERS', offers: [offer('o1', 'cpus:1;mem:64'), offer('o2', 'cpus:2;mem:40'), offer('o3', 'cpus:4;mem:1024')] });
    await until(() => master.callsOf('SUPPRESS').length === 1, 'SUPPRESS once all are launched');
    expect(master.callsOf('ACCEPT').map((c) => [c.accept.offerIds, c.accept.operations[0].type])).toEqual([
      [['o1'], 'LAUNCH'],
      [['o2'], 'LAUNCH'],
    ]);
    expect(launched()).toHaveLength(3);
    expect(master.callsOf('DECLINE')).toEqual([{ type: 'DECLINE', frameworkId: 'fw-1', decline: { offerIds: ['o3'], filters: { refuseSeconds: 3600 } } }]);

    const [first, second, third] = launched();
    update(first, 'RUNNING', 'u1');
    update(second, 'FAILED', 'u2');
    await until(() => master.callsOf('REVIVE').length === 1, 'REVIVE after a failure');
    master.publish('fw-1', { type: 'OFFERS', offers: [offer('o4', 'cpus:1;mem:64')] });
    await until(() => launched().length === 4, 'the failed copy relaunched');
    const relaunched = launched()[3];

    let finished = false;
    void copies.finished.then(() => (finished = true));
    for (const [i, id] of [first, third, relaunched].entries()) update(id, 'FINISHED', `f${i}`);
    await until(() => finished, 'all copies finished');
    await until(() => master.acknowledgements().length === 5, 'every update acknowledged');

    await copies.stop();
    copies = undefined;
    expect(master.callsOf('TEARDOWN')).toHaveLength(1);
  });
});
