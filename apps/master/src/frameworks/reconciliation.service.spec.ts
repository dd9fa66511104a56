import '../testing/quiet-logs';
import { PROTOCOL_VERSION, type TaskStatus } from '@pando/protocol';
import { resourcesJson, taskReport } from '../testing/factories';
import { offerHarness } from '../testing/offer-harness';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

async function drained(): Promise<void> {
  for (let i = 0; i < 50; i++) await turn();
}

function setup() {
  const h = offerHarness({ heartbeatIntervalMs: 1000, maxMissedHeartbeats: 3 });
  const up = h.addAgent(4, 1024, 'up');
  const down = h.addAgent(4, 1024, 'down');
  const aware = h.subscribe({ name: 'aware', capabilities: ['PARTITION_AWARE'] });
  const legacy = h.subscribe({ name: 'legacy' }, 'c2');
  for (const [id, fw, agentId] of [['a1', aware.id, up], ['a2', aware.id, down], ['l1', legacy.id, up]] as const) {
    h.tasks.addLaunched({ taskId: id, name: id, frameworkId: fw, agentId, resources: resourcesJson(0.1, 8), executor: 'command' }, h.clock.now());
  }
  // Both agents go unreachable, then `up` comes back with its tasks.
  h.agents.expire(h.clock.now() + 1);
  h.tasks.markAgentUnreachable(up, h.clock.now());
  h.tasks.markAgentUnreachable(down, h.clock.now());
  const reports = ['a1', 'l1'].map((id) => taskReport(h.tasks.get(id)!.info, 'RUNNING', `u-${id}`));
  h.registration.register({ protocolVersion: PROTOCOL_VERSION, agentId: up, hostname: 'up', resources: resourcesJson(4, 1024), attributes: {}, version: 'x', executors: ['command'], tasks: reports });
  return { ...h, up, down, aware, legacy };
}

const answers = (updates: TaskStatus[]) => Object.fromEntries(updates.filter((u) => u.reason === 'REASON_RECONCILIATION').map((u) => [u.taskId, u.state]));

describe('ReconciliationService', () => {
  it('answers explicit reconciliation per Mesos, GONE/UNREACHABLE/UNKNOWN for partition-aware frameworks', async () => {
    const h = setup();
    h.clock.advance(5000); // past the window in which unknown agents may still re-register
    h.tasks.addLaunched({ taskId: 'a3', name: 'a3', frameworkId: h.aware.id, agentId: h.up, resources: resourcesJson(0.1, 8), executor: 'command' }, h.clock.now());
    h.reconciliation.reconcile(h.aware, [
      { taskId: 'a3' },
      { taskId: 'ghost', agentId: h.up },
      { taskId: 'ghost2', agentId: h.down },
      { taskId: 'ghost3', agentId: 'nowhere' },
      { taskId: 'ghost4' },
      { taskId: 'l1', agentId: h.up },
    ]);
    await drained();
    expect(answers(h.publisher.updatesTo(h.aware.id))).toEqual({ a3: 'STAGING', ghost: 'GONE', ghost2: 'UNREACHABLE', ghost3: 'UNKNOWN', ghost4: 'UNKNOWN', l1: 'GONE' });
    for (const u of h.publisher.updatesTo(h.aware.id)) {
      expect(u.source).toBe('SOURCE_MASTER');
      expect(u.uuid).toBeUndefined();
    }
    h.reconciliation.reconcile(h.legacy, [{ taskId: 'ghost', agentId: h.up }, { taskId: 'ghost2', agentId: h.down }, { taskId: 'ghost3' }]);
    await drained();
    expect(answers(h.publisher.updatesTo(h.legacy.id))).toEqual({ ghost: 'LOST', ghost2: 'LOST', ghost3: 'LOST' });
  });

  it('does not answer for unknown agents while agents may still be re-registering', async () => {
    const h = setup();
    h.reconciliation.reconcile(h.aware, [{ taskId: 'ghost', agentId: 'nowhere' }, { taskId: 'ghost', agentId: h.up }]);
    await drained();
    expect(Object.values(answers(h.publisher.updatesTo(h.aware.id)))).toEqual(['GONE']);
  });

  it('answers implicit reconciliation with every non-terminal task, UNREACHABLE ones as LOST when not partition-aware', async () => {
    const h = setup();
    h.reconciliation.reconcile(h.aware, []);
    h.reconciliation.reconcile(h.aware, []); // coalesced with the one still queued
    await drained();
    expect(h.publisher.updatesTo(h.aware.id).filter((u) => u.reason === 'REASON_RECONCILIATION').map((u) => [u.taskId, u.state])).toEqual([
      ['a1', 'RUNNING'],
      ['a2', 'UNREACHABLE'],
    ]);
  });

  it('answers large reconciliations over several event-loop turns, frameworks in turn', async () => {
    const h = setup();
    h.clock.advance(5000);
    const many = Array.from({ length: 1000 }, (_, i) => ({ taskId: `x${i}`, agentId: h.up }));
    h.reconciliation.reconcile(h.aware, many);
    h.reconciliation.reconcile(h.legacy, many);
    const before = h.publisher.events.length;
    await turn();
    const first = h.publisher.events.length - before;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(2000);
    expect(h.publisher.updatesTo(h.legacy.id).length).toBeGreaterThan(0);
    await drained();
    expect(h.publisher.updatesTo(h.aware.id).filter((u) => u.reason === 'REASON_RECONCILIATION')).toHaveLength(1000);
    expect(h.publisher.updatesTo(h.legacy.id).filter((u) => u.reason === 'REASON_RECONCILIATION')).toHaveLength(1000);
  });
});
