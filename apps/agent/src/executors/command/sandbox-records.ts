import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessIdentity } from './process-identity';

/**
 * The command executor's own checkpoint lives in the sandbox, next to the task, so it is never
 * older than the task itself:
 * - `supervisor.json`: who supervises the task and the task's pid (written by the supervisor
 *   once the task is spawned, before it answers the agent);
 * - `exit-status.json`: how the task ended (written by the supervisor);
 * - `kill.json`: the grace period of a requested kill (read by the supervisor on SIGTERM);
 * - `inbox`, `outbox`: framework messages in (appended as they come) and out (one per line).
 * supervisor.json and kill.json use temp + rename without fsync: they describe processes, and
 * after a power loss no process is left for them to describe.
 */
export const SUPERVISOR_FILE = 'supervisor.json';
export const EXIT_STATUS_FILE = 'exit-status.json';
export const KILL_FILE = 'kill.json';
export const INBOX_FILE = 'inbox';
export const OUTBOX_FILE = 'outbox';

export interface SupervisorRecord {
  supervisor: ProcessIdentity;
  /** The task's pid, which is also its process group id; absent until it started. */
  taskPid?: number;
}

/** What the supervisor recorded when the task ended. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The supervisor had been asked to kill the task (SIGTERM). */
  killed: boolean;
  exitedAt: number;
  /** The task could not be started at all (spawn error). */
  error?: string;
  /** A kill arrived before the task was started: it never ran. */
  neverStarted?: boolean;
}

export function sandboxPaths(sandboxDir: string): { supervisor: string; exitStatus: string; kill: string; stdout: string; stderr: string; inbox: string; outbox: string } {
  return {
    supervisor: join(sandboxDir, SUPERVISOR_FILE),
    exitStatus: join(sandboxDir, EXIT_STATUS_FILE),
    kill: join(sandboxDir, KILL_FILE),
    stdout: join(sandboxDir, 'stdout'),
    stderr: join(sandboxDir, 'stderr'),
    inbox: join(sandboxDir, INBOX_FILE),
    outbox: join(sandboxDir, OUTBOX_FILE),
  };
}

/** Where a recovered task's outbox had been read up to (checkpointed with the task), else 0. */
export function outboxOffsetOf(checkpoint: Record<string, unknown> | undefined): number {
  const offset = checkpoint?.['outboxOffset'];
  return typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0 ? offset : 0;
}

function writeQuickly(path: string, value: unknown): void {
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, `${JSON.stringify(value)}\n`);
  renameSync(temp, path);
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

export function writeKillRequest(sandboxDir: string, gracePeriodMs: number): void {
  writeQuickly(sandboxPaths(sandboxDir).kill, { gracePeriodMs, requestedAt: Date.now() });
}

export function readSupervisorRecord(sandboxDir: string): SupervisorRecord | undefined {
  return asSupervisorRecord(readJson(sandboxPaths(sandboxDir).supervisor));
}

/** Validates a supervisor record from the sandbox or from the agent's checkpoint. */
export function asSupervisorRecord(value: unknown): SupervisorRecord | undefined {
  const record = value as Partial<SupervisorRecord> | undefined;
  const s = record?.supervisor;
  if (!s || !Number.isInteger(s.pid) || typeof s.startTime !== 'string' || typeof s.bootId !== 'string') return undefined;
  const taskPid = Number.isInteger(record.taskPid) ? record.taskPid : undefined;
  return { supervisor: { pid: s.pid, startTime: s.startTime, bootId: s.bootId }, ...(taskPid !== undefined ? { taskPid } : {}) };
}

export function readExitStatus(sandboxDir: string): ExitStatus | undefined {
  const status = readJson(sandboxPaths(sandboxDir).exitStatus) as Partial<ExitStatus> | undefined;
  if (!status || typeof status !== 'object') return undefined;
  return {
    code: Number.isInteger(status.code) ? (status.code as number) : null,
    signal: typeof status.signal === 'string' ? status.signal : null,
    killed: status.killed === true,
    exitedAt: typeof status.exitedAt === 'number' ? status.exitedAt : 0,
    ...(typeof status.error === 'string' ? { error: status.error } : {}),
    ...(status.neverStarted === true ? { neverStarted: true } : {}),
  };
}
