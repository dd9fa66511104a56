process.env.PANDO_LOG_LEVEL ??= 'warn';

import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StatusUpdateMessage, TaskInfo } from '@pando/protocol';
import { FakeClock } from '@pando/testing';
import type { AgentConfig } from '../agent.options';
import { AgentSession } from '../master/agent-session';
import { StatusUpdateManager } from '../status/status-update-manager';
import { TaskCheckpointer } from './task-checkpointer.service';
import { TaskJournal } from './task-journal';

function task(taskId: string, data?: string): TaskInfo {
  return { taskId, name: taskId, frameworkId: 'fw', agentId: 'a1', executor: 'command', resources: [], command: { value: 'true', shell: true }, ...(data ? { data } : {}) };
}

describe('TaskCheckpointer', () => {
  let workDir: string;
  let session: AgentSession;
  let sent: StatusUpdateMessage[];

  beforeEach(() => {
    workDir = mkdtempSync(join(tmpdir(), 'pando-ckpt-'));
    session = new AgentSession();
    session.registeredWith({ agentId: 'a1', epoch: 1, masterId: 'm', heartbeatIntervalMs: 1000 });
    sent = [];
  });
  afterEach(() => rmSync(workDir, { recursive: true, force: true }));

  function agentParts(): { statusUpdates: StatusUpdateManager; checkpointer: TaskCheckpointer } {
    const statusUpdates = new StatusUpdateManager({ publishStatus: (m) => sent.push(m) }, session, new FakeClock());
    const checkpointer = new TaskCheckpointer({ workDir } as AgentConfig, statusUpdates);
    return { statusUpdates, checkpointer };
  }

  it('brings back tasks, unacknowledged updates, executor data and completed tasks after a restart', async () => {
    const before = agentParts();
    await before.checkpointer.start();
    before.statusUpdates.track(task('t1'), 'command');
    before.statusUpdates.setSandbox('t1', '/sandboxes/fw/t1');
    const running = before.statusUpdates.update(task('t1'), 'RUNNING')!;
    before.statusUpdates.setExecutorData('t1', { supervisor: { pid: 42 } });
    before.statusUpdates.track(task('t2'), 'command');
    const finished = before.statusUpdates.update(task('t2'), 'FINISHED')!;
    before.statusUpdates.acknowledge('t2', finished.uuid);
    await before.checkpointer.flush();
    before.statusUpdates.stop();

    const after = agentParts();
    const loaded = await after.checkpointer.load();
    expect(loaded.droppedLines).toBe(0);
    expect(loaded.records).toEqual([
      expect.objectContaining({ taskId: 't1', sandboxDir: '/sandboxes/fw/t1', executor: 'command', latest: running, pending: [running], terminal: false, executorData: { supervisor: { pid: 42 } } }),
    ]);
    expect(loaded.records[0]!.launchedAt).toEqual(expect.any(Number));
    expect(loaded.completed).toEqual([expect.objectContaining({ task: task('t2'), status: finished })]);
    after.statusUpdates.stop();
  });

  it('batches: a thousand updates become a handful of journal writes', async () => {
    const { statusUpdates, checkpointer } = agentParts();
    await checkpointer.start();
    const journal = (): string => readdirSync(join(workDir, 'checkpoint')).find((f) => f.endsWith('.journal'))!;
    for (let i = 0; i < 50; i++) statusUpdates.track(task(`t${i}`, 'x'.repeat(1000)), 'command');
    for (let round = 0; round < 20; round++) for (let i = 0; i < 50; i++) statusUpdates.update(task(`t${i}`), 'RUNNING', { message: `round ${round}` });
    await checkpointer.flush();
    const lines = readFileSync(join(workDir, 'checkpoint', journal()), 'utf8').trim().split('\n');
    // One line per dirty task per batch, not one per update; the 1 KB of task data is written once.
    expect(lines.length).toBeLessThanOrEqual(100);
    expect(lines.filter((l) => l.includes('x'.repeat(1000))).length).toBe(50);
    statusUpdates.stop();
  });

  it('drops a torn last line and keeps everything before it', async () => {
    const before = agentParts();
    await before.checkpointer.start();
    before.statusUpdates.track(task('t1'), 'command');
    before.statusUpdates.update(task('t1'), 'RUNNING');
    await before.checkpointer.flush();
    const dir = join(workDir, 'checkpoint');
    const journalName = readdirSync(dir).find((f) => f.endsWith('.journal'))!;
    appendFileSync(join(dir, journalName), '{"t":"t1","state":{"pend');
    const loaded = await agentParts().checkpointer.load();
    expect(loaded.droppedLines).toBe(1);
    expect(loaded.records.map((r) => [r.taskId, r.latest?.state])).toEqual([['t1', 'RUNNING']]);
    before.statusUpdates.stop();
  });

  it('folds a journal that outgrew its snapshot into a new snapshot', async () => {
    const journal = new TaskJournal(join(workDir, 'j'));
    await journal.compact([]);
    const big = { frameworkId: 'fw', task: task('t', 'y'.repeat(200_000)) };
    for (let i = 0; i < 8; i++) await journal.append([{ t: 't', info: big, state: { pending: [], terminal: false } }]);
    expect(journal.shouldCompact).toBe(true);
    await journal.compact([{ taskId: 't', info: big, state: { pending: [], terminal: false }, completed: false }]);
    expect(journal.shouldCompact).toBe(false);
    expect(readdirSync(join(workDir, 'j')).sort()).toEqual(['tasks.2.journal', 'tasks.json']);
    await journal.close();
    const reread = await new TaskJournal(join(workDir, 'j')).load();
    expect([...reread.tasks.keys()]).toEqual(['t']);
  });
});
