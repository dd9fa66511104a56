import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** What the agent hands a supervisor: see command-task.supervisor.js. */
export interface LaunchSpec {
  file: string;
  args: string[];
  argv0?: string;
  cwd: string;
  env: Record<string, string>;
  uid?: number;
  gid?: number;
  stdoutPath: string;
  stderrPath: string;
  statusFile: string;
  killFile: string;
  /** Where the supervisor records itself and the task's pid once the task is spawned. */
  recordFile: string;
  defaultGraceMs: number;
  title?: string;
}

import type { ProcessIdentity } from './process-identity';

export type StartReply = { started: number; identity: ProcessIdentity } | { error: string };

/** Node flags for supervisors: a small heap; they hold one spec and one child handle. */
const NODE_FLAGS = ['--max-old-space-size=32', '--max-semi-space-size=1'];

/**
 * One supervisor process as the agent sees it while it is (or was) its child: spawned detached
 * (own session, so it survives the agent), talking over stdin/stdout pipes until the task starts.
 */
export class SupervisorProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves when the supervisor announced itself (its Node runtime is up). */
  readonly ready: Promise<boolean>;
  /** Resolves when the process has ended and its pipes are closed. */
  readonly closed: Promise<void>;
  private isReady = false;
  private lines: string[] = [];
  private waiter?: (line: string | undefined) => void;
  private ended = false;

  private constructor(child: ChildProcess) {
    this.child = child;
    this.pid = child.pid!;
    let buffered = '';
    const stdout = child.stdout as Readable;
    stdout.setEncoding('utf8');
    stdout.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        this.push(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
      }
    });
    this.closed = new Promise((resolve) => child.once('close', () => resolve()));
    void this.closed.then(() => {
      this.ended = true;
      this.waiter?.(undefined);
    });
    this.ready = this.nextLine().then((line) => {
      this.isReady = line !== undefined && line.includes('"ready"');
      return this.isReady;
    });
  }

  /** Spawns a supervisor; throws when the process cannot be created at all. */
  static spawn(script: string, cwd: string): SupervisorProcess {
    const child = spawn(process.execPath, [...NODE_FLAGS, script], {
      cwd,
      detached: true,
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { PATH: process.env.PATH ?? '' },
    });
    if (child.pid === undefined) {
      child.on('error', () => {});
      throw new Error(`failed to start a task supervisor (${process.execPath} ${script})`);
    }
    child.on('error', () => {});
    (child.stdin as Writable).on('error', () => {});
    // The agent must be able to exit while supervisors (and their tasks) run on.
    child.unref();
    unrefStream(child.stdin);
    unrefStream(child.stdout);
    return new SupervisorProcess(child);
  }

  get warm(): boolean {
    return this.isReady && !this.ended;
  }

  get alive(): boolean {
    return !this.ended && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Hands the task over and waits for the supervisor's answer (started pid or spawn error). */
  async start(spec: LaunchSpec): Promise<StartReply> {
    const stdin = this.child.stdin as Writable;
    stdin.end(`${JSON.stringify(spec)}\n`);
    // The ready line may still be in front of the answer when the supervisor was cold.
    await this.ready;
    const line = await this.nextLine();
    if (line === undefined) return { error: 'the task supervisor ended before starting the task' };
    try {
      const reply = JSON.parse(line) as Partial<{ started: number; identity: ProcessIdentity; error: string }>;
      if (Number.isInteger(reply.started)) {
        const identity = reply.identity?.startTime ? reply.identity : { pid: this.pid, startTime: '', bootId: '' };
        return { started: reply.started!, identity };
      }
      return { error: reply.error ?? `unexpected supervisor answer: ${line}` };
    } catch {
      return { error: `unexpected supervisor answer: ${line}` };
    }
  }

  /** Ends an idle supervisor (closing its stdin makes it exit). */
  dismiss(): void {
    (this.child.stdin as Writable).destroy();
  }

  private push(line: string): void {
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter(line);
    } else {
      this.lines.push(line);
    }
  }

  private nextLine(): Promise<string | undefined> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.waiter = resolve));
  }
}

function unrefStream(stream: unknown): void {
  (stream as { unref?: () => void } | null)?.unref?.();
}
