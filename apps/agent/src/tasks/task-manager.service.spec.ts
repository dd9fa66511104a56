process.env.PANDO_LOG_LEVEL ??= 'warn';

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutorToFrameworkMessage, StatusUpdateMessage, TaskInfo, TaskState } from '@pando/protocol';
import { FakeClock, killProcessesUnder } from '@pando/testing';
import type { AgentConfig } from '../agent.options';
import { ExecutorCatalog } from '../executors/executor-catalog';
import { HealthCheckService } from '../health/health-check.service';
import { AgentSession } from '../master/agent-session';
import { StatusUpdateManager } from '../status/status-update-manager';
import { TaskManager } from './task-manager.service';

describe('TaskManager', () => {
  let workDir: string;
  let sent: StatusUpdateMessage[];
  let messages: ExecutorToFrameworkMessage[];
  let statusUpdates: StatusUpdateManager;
  let manager: TaskManager;
  let catalog: ExecutorCatalog;
  let n = 0;

  beforeEach(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'pando-tasks-'));
    const config: AgentConfig = {
      http: { host: '127.0.0.1', port: 0 },
      workDir,
      attributes: {},
      hostname: 'host-1',
      advertiseHost: '10.1.2.3',
      executors: ['command'],
      executorOptions: {},
      killGraceMs: 5000,
      nats: { servers: [] },
    };
    const session = new AgentSession();
    session.registeredWith({ agentId: 'a1', epoch: 1, masterId: 'm', heartbeatIntervalMs: 1000 });
    sent = [];
    // The fake clock only holds retries back; the publisher records what would go to the master.
    statusUpdates = new StatusUpdateManager({ publishStatus: (m) => sent.push(m) }, session, new FakeClock());
    catalog = new ExecutorCatalog(config, session);
    await catalog.onModuleInit();
    messages = [];
    const outbox = { publishExecutorMessage: (m: ExecutorToFrameworkMessage) => messages.push(m) };
    manager = new TaskManager(config, session, statusUpdates, catalog, new HealthCheckService(new FakeClock(), catalog), outbox);
  });

  afterEach(async () => {
    statusUpdates.stop();
    await catalog.shutdown();
    killProcessesUnder(workDir);
    rmSync(workDir, { recursive: true, force: true });
  });

  function task(value: string | undefined, extra: Partial<TaskInfo> = {}): TaskInfo {
    n++;
    return {
      taskId: `task-${n}`,
      name: `task ${n}`,
      frameworkId: 'fw',
      agentId: 'a1',
      executor: 'command',
      resources: [
        { name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } },
        { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31001 }] } },
      ],
      command: value === undefined ? undefined : { value, shell: true },
      ...extra,
    };
  }

  function statesOf(taskId: string): string[] {
    return sent.filter((m) => m.status.taskId === taskId).map((m) => m.status.state);
  }

  async function waitForState(taskId: string, state: TaskState): Promise<void> {
    const started = Date.now();
    while (statusUpdates.get(taskId)?.latest?.state !== state) {
      if (Date.now() - started > 5000) throw new Error(`task ${taskId} never reached ${state}: ${statusUpdates.get(taskId)?.latest?.state}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('creates the sandbox, passes the task environment and reports the exit', async () => {
    const t = task('echo hi; echo "$PANDO_TASK_ID $PANDO_FRAMEWORK_ID $PANDO_AGENT_ID $HOST $PORT $PORTS $PANDO_SANDBOX"; exit 3');
    await manager.launchGroup({ frameworkId: 'fw', tasks: [t] });
    await waitForState(t.taskId, 'FAILED');
    const sandbox = join(workDir, 'sandboxes', 'fw', t.taskId);
    expect(readFileSync(join(sandbox, 'stdout'), 'utf8')).toBe(`hi\n${t.taskId} fw a1 10.1.2.3 31000 31000,31001 ${sandbox}\n`);
    const record = statusUpdates.get(t.taskId)!;
    expect(record.latest).toEqual(expect.objectContaining({ state: 'FAILED', exitCode: 3, message: 'exited with code 3', source: 'SOURCE_EXECUTOR', agentId: 'a1' }));
    expect(record.sandboxDir).toBe(sandbox);
    expect(record.pending.map((s) => s.state)).toEqual(['STARTING', 'RUNNING', 'FAILED']);
  });

  it("hands framework messages to the task's inbox in order, and sends each outbox line to the framework, last words before the end", async () => {
    // The task answers each inbox line through its outbox, then says goodbye and ends on 'bye'.
    const script = [
      'tail -n +1 -f "$PANDO_INBOX" | while read -r line; do',
      '  echo "got $line" >> "$PANDO_OUTBOX"',
      '  if [ "$line" = bye ]; then echo "last words" >> "$PANDO_OUTBOX"; exit 0; fi',
      'done',
    ].join('\n');
    const t = task(script);
    await manager.launchGroup({ frameworkId: 'fw', tasks: [t] });
    await waitForState(t.taskId, 'RUNNING');
    const say = (text: string) => manager.message({ epoch: 1, frameworkId: 'fw', taskId: t.taskId, data: Buffer.from(`${text}\n`).toString('base64') });
    await Promise.all([say('one'), say('two'), say('bye')]);
    await waitForState(t.taskId, 'FINISHED');
    const sandbox = join(workDir, 'sandboxes', 'fw', t.taskId);
    expect(readFileSync(join(sandbox, 'inbox'), 'utf8')).toBe('one\ntwo\nbye\n');
    expect(messages.map((m) => [m.agentId, m.frameworkId, m.taskId])).toEqual(Array(4).fill(['a1', 'fw', t.taskId]));
    expect(messages.map((m) => Buffer.from(m.data, 'base64').toString())).toEqual(['got one', 'got two', 'got bye', 'last words']);
    // A message for a task that ended, or one the agent does not run, is dropped.
    await say('too late');
    await manager.message({ epoch: 1, frameworkId: 'fw', taskId: 'ghost', data: 'aGk=' });
    expect(readFileSync(join(sandbox, 'inbox'), 'utf8')).toBe('one\ntwo\nbye\n');
  });

  it('fails a whole group with ERROR when any task is invalid, starting nothing', async () => {
    const good = task('sleep 5');
    const bad = task(undefined);
    const foreign = task('true', { executor: 'docker' });
    await manager.launchGroup({ frameworkId: 'fw', tasks: [good, bad, foreign] });
    for (const t of [good, bad, foreign]) {
      const latest = statusUpdates.get(t.taskId)!.latest!;
      expect(latest).toEqual(expect.objectContaining({ state: 'ERROR', reason: 'REASON_TASK_INVALID', source: 'SOURCE_AGENT' }));
      expect(latest.message).toBe(
        `invalid task group: task '${bad.taskId}': the command executor needs 'command'; task '${foreign.taskId}': executor 'docker' is not enabled on this agent (enabled: command)`,
      );
    }
    expect(existsSync(join(workDir, 'sandboxes'))).toBe(false);
    expect(manager.usedResources().isEmpty()).toBe(true);
  });

  it('ignores a repeated launch of a known task', async () => {
    const t = task('sleep 5');
    await manager.launchGroup({ frameworkId: 'fw', tasks: [t] });
    await waitForState(t.taskId, 'RUNNING');
    await manager.launchGroup({ frameworkId: 'fw', tasks: [t] });
    expect(statusUpdates.get(t.taskId)!.pending.map((s) => s.state)).toEqual(['STARTING', 'RUNNING']);
    await manager.kill({ epoch: 1, frameworkId: 'fw', taskId: t.taskId, gracePeriodMs: 0 });
    await waitForState(t.taskId, 'KILLED');
  });

  it('kills with the grace period of the message, else of the task, else the default', async () => {
    const t = task("trap '' TERM; touch ready; while true; do sleep 0.05; done", { killGracePeriodMs: 200 });
    await manager.launchGroup({ frameworkId: 'fw', tasks: [t] });
    const ready = join(workDir, 'sandboxes', 'fw', t.taskId, 'ready');
    while (!existsSync(ready)) await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    await manager.kill({ epoch: 1, frameworkId: 'fw', taskId: t.taskId });
    await waitForState(t.taskId, 'KILLED');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reports LOST with REASON_TASK_UNKNOWN for a kill of a task it does not know', async () => {
    await manager.kill({ epoch: 1, frameworkId: 'fw', taskId: 'ghost' });
    expect(sent.map((m) => m.status)).toEqual([
      expect.objectContaining({ taskId: 'ghost', frameworkId: 'fw', state: 'LOST', reason: 'REASON_TASK_UNKNOWN', source: 'SOURCE_AGENT', agentId: 'a1' }),
    ]);
  });

  it('reports KILLED for a task killed while it is being launched', async () => {
    const t = task('sleep 5');
    const launching = manager.launchGroup({ frameworkId: 'fw', tasks: [t] });
    await manager.kill({ epoch: 1, frameworkId: 'fw', taskId: t.taskId });
    await launching;
    expect(statusUpdates.get(t.taskId)!.latest).toEqual(expect.objectContaining({ state: 'KILLED', reason: 'REASON_TASK_KILLED_DURING_LAUNCH' }));
    expect(statesOf(t.taskId)).toEqual(['KILLED']);
  });

  it('fails with REASON_SANDBOX_CREATION_FAILED when the sandbox cannot be created', async () => {
    mkdirSync(join(workDir, 'sandboxes'), { recursive: true });
    writeFileSync(join(workDir, 'sandboxes', 'fw'), 'a file where a directory should be');
    const t = task('true');
    await manager.launchGroup({ frameworkId: 'fw', tasks: [t] });
    const latest = statusUpdates.get(t.taskId)!.latest!;
    expect(latest).toEqual(expect.objectContaining({ state: 'FAILED', reason: 'REASON_SANDBOX_CREATION_FAILED', source: 'SOURCE_AGENT' }));
    expect(latest.message).toContain(`failed to create sandbox '${join(workDir, 'sandboxes', 'fw', t.taskId)}'`);
  });

  it('counts the resources of tasks that have not ended', async () => {
    const running = task('sleep 5');
    const done = task('true');
    await manager.launchGroup({ frameworkId: 'fw', tasks: [running, done] });
    await waitForState(running.taskId, 'RUNNING');
    await waitForState(done.taskId, 'FINISHED');
    expect(manager.usedResources().toStateJson()).toEqual({ cpus: 0.5, mem: 0, disk: 0, gpus: 0, ports: '[31000-31001]' });
    await manager.kill({ epoch: 1, frameworkId: 'fw', taskId: running.taskId, gracePeriodMs: 0 });
    await waitForState(running.taskId, 'KILLED');
    expect(manager.usedResources().isEmpty()).toBe(true);
  });
});
