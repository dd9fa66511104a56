import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './wait';

/**
 * A child process started by a test, with its output kept for assertions and diagnostics.
 * Every managed process is killed when the test process exits, so a failed suite leaves
 * nothing running.
 */
const live = new Set<ManagedProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** Kills every managed process still running (a suite's safety net, whatever failed). */
export async function killAllManagedProcesses(): Promise<number> {
  const running = [...live];
  for (const p of running) p.kill('SIGKILL');
  await Promise.all(running.map((p) => p.waitForExit(5000).catch(() => null)));
  return running.length;
}

export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Print the child's output to this process's stderr as it comes (PANDO_TEST_VERBOSE=1). */
  echo?: boolean;
}

export class ManagedProcess {
  readonly lines: string[] = [];
  private child: ChildProcess;
  private exitPromise: Promise<number | null>;
  exitCode: number | null | undefined;

  constructor(readonly options: ManagedProcessOptions) {
    const echo = options.echo ?? process.env.PANDO_TEST_VERBOSE === '1';
    this.child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(this);
    const onData = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n')) {
        if (line.length === 0) continue;
        if (this.lines.length > 20_000) this.lines.shift();
        this.lines.push(line);
        if (echo) process.stderr.write(`[${options.name}] ${line}\n`);
      }
    };
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
    this.exitPromise = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? null : code);
        live.delete(this);
        resolve(code);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.running) this.child.kill(signal);
  }

  /** Resolves with the exit code (null when ended by a signal). */
  waitForExit(timeoutMs = 10_000): Promise<number | null> {
    return Promise.race([
      this.exitPromise,
      new Promise<number | null>((_, reject) =>
        setTimeout(() => reject(new Error(`${this.options.name} did not exit within ${timeoutMs} ms`)), timeoutMs).unref(),
      ),
    ]);
  }

  /** Stops gracefully (SIGTERM), then SIGKILL if it does not exit in time. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (!this.running) return;
    this.kill('SIGTERM');
    try {
      await this.waitForExit(timeoutMs);
    } catch {
      this.kill('SIGKILL');
      await this.exitPromise;
    }
  }

  async waitForLine(pattern: RegExp | string, timeoutMs = 15_000): Promise<string> {
    const matches = (l: string): boolean => (typeof pattern === 'string' ? l.includes(pattern) : pattern.test(l));
    return waitFor(() => this.lines.find(matches), `${this.options.name} to print ${String(pattern)}`, timeoutMs, 50);
  }

  output(): string {
    return this.lines.join('\n');
  }
}
