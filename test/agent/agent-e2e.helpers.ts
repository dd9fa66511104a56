import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { OPERATOR_FRAMEWORK_ID } from '@pando/protocol';
import { findTask, waitFor, type ManagedProcess, type RunningAgent, type StateTask, type TestCluster } from '@pando/testing';

/** Waits until the master's /master/state shows the task in one of `states` (TASK_*). */
export function taskIn(cluster: TestCluster, taskId: string, states: string[], timeoutMs = 20_000): Promise<StateTask> {
  return waitFor(
    async () => {
      const task = findTask(await cluster.master.state(), taskId);
      return task && states.includes(task.state) ? task : undefined;
    },
    `task ${taskId} in ${states.join('|')}`,
    timeoutMs,
    100,
  );
}

/** Pids of the processes whose command line contains `marker`. */
export function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmdline.includes(marker)) pids.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return pids.sort((a, b) => a - b);
}

/** A task's sandbox on an agent (operator tasks by default). */
export function sandboxOf(agent: RunningAgent, taskId: string, frameworkId: string = OPERATOR_FRAMEWORK_ID): string {
  return join(agent.workDir, 'sandboxes', frameworkId, taskId);
}

/** The agent's pino JSON log lines, parsed (other lines skipped). */
export function logRecords(process: ManagedProcess): Array<Record<string, unknown>> {
  const records: Array<Record<string, unknown>> = [];
  for (const line of process.lines) {
    if (!line.startsWith('{')) continue;
    try {
      records.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not a log record
    }
  }
  return records;
}

/** A TCP port in [from, to] that was free a moment ago on 127.0.0.1. */
export async function freePortIn(from: number, to: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port in [${from}-${to}]`);
}

/** A marker unique to this run, to find a task's processes by command line. */
export function uniqueNumber(): number {
  return 100_000 + Math.floor(Math.random() * 800_000);
}
