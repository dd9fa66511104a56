process.env.PANDO_LOG_LEVEL ??= 'warn';

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@pando/common';
import type { TaskState } from '@pando/protocol';
import { killProcessesUnder } from '@pando/testing';
import { CommandExecutor, WARM_SUPERVISORS_OPTION } from './command.executor';

jest.setTimeout(60_000);

const ROUNDS = 12;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * What the per-task supervisor costs a launch: time from launch() to the RUNNING report (the
 * task's process exists), with warm supervisors, with none (each launch starts Node), and the
 * old direct spawn of the task by the agent as a baseline. The numbers are logged for the record;
 * the assertion only guards against losing the warm pool (absolute times depend on the host).
 */
describe('command task launch latency', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'pando-latency-'));
  });
  afterAll(() => {
    killProcessesUnder(root);
    rmSync(root, { recursive: true, force: true });
  });

  async function measure(warm: number): Promise<number[]> {
    const workDir = join(root, `warm-${warm}`);
    mkdirSync(workDir, { recursive: true });
    const executor = new CommandExecutor({ agentId: 'a1', hostname: 'h', workDir, log: createLogger('test'), options: { [WARM_SUPERVISORS_OPTION]: String(warm) } });
    await executor.probe();
    const times: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // Let the pool refill between launches (100 ms delay + a Node boot), as between tasks arriving apart.
      await new Promise((r) => setTimeout(r, warm > 0 ? 700 : 20));
      const sandboxDir = join(workDir, `t${i}`);
      mkdirSync(sandboxDir);
      const task = { taskId: `t${i}`, name: 't', frameworkId: 'fw', agentId: 'a1', executor: 'command', resources: [], command: { value: 'sleep 30', shell: true } };
      const started = performance.now();
      const running = new Promise<number>((resolve) => {
        void executor.launch({ task, sandboxDir, ports: [], env: {} }, { update: (state: TaskState) => state === 'RUNNING' && resolve(performance.now() - started) });
      });
      times.push(await running);
      await executor.kill(`t${i}`, 0);
    }
    await executor.shutdown();
    return times;
  }

  async function measureDirectSpawn(): Promise<number[]> {
    const times: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const sandboxDir = join(root, `direct-${i}`);
      mkdirSync(sandboxDir);
      const started = performance.now();
      const out = openSync(join(sandboxDir, 'stdout'), 'a');
      const child = spawn('/bin/sh', ['-c', 'sleep 30'], { cwd: sandboxDir, stdio: ['ignore', out, out], detached: true });
      closeSync(out);
      times.push(performance.now() - started);
      process.kill(-child.pid!, 'SIGKILL');
      child.unref();
    }
    return times;
  }

  it('adds only a few ms with warm supervisors', async () => {
    const direct = await measureDirectSpawn();
    const warm = await measure(2);
    const cold = await measure(0);
    const line = (name: string, t: number[]): string => `${name}: median ${median(t).toFixed(1)} ms, max ${Math.max(...t).toFixed(1)} ms`;
    process.stdout.write(`launch -> RUNNING over ${ROUNDS} launches\n  ${line('direct spawn (before)', direct)}\n  ${line('warm supervisor', warm)}\n  ${line('cold supervisor', cold)}\n`);
    // Absolute numbers depend on the host's load; the warm pool must save most of Node's start-up.
    expect(median(warm)).toBeLessThan(median(cold) / 2);
  });
});
