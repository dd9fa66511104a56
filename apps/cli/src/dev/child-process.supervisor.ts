import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Starts the dev cluster's processes and stops them together: Ctrl-C (or any child dying)
 * stops every child, last started first, then exits.
 */
export class ChildProcessSupervisor {
  private readonly children: Array<{ name: string; child: ChildProcess }> = [];
  private stopping = false;

  start(name: string, command: string, args: string[], env: Record<string, string> = {}): ChildProcess {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const prefix = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n')) if (line) process.stdout.write(`[${name}] ${line}\n`);
    };
    child.stdout?.on('data', prefix);
    child.stderr?.on('data', prefix);
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      process.stderr.write(`[dev] ${name} exited (${signal ?? `code ${code}`}); stopping the dev cluster\n`);
      void this.stopAll(1);
    });
    this.children.push({ name, child });
    return child;
  }

  async stopAll(exitCode = 0): Promise<never> {
    this.stopping = true;
    for (const { name, child } of [...this.children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      const exited = await waitExit(child, 8000);
      if (!exited) {
        process.stderr.write(`[dev] ${name} did not stop in time; killing it\n`);
        child.kill('SIGKILL');
      }
    }
    process.exit(exitCode);
  }

  stopOnSignals(): void {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (this.stopping) return;
        process.stderr.write(`\n[dev] ${signal}: stopping the dev cluster\n`);
        void this.stopAll(0);
      });
    }
  }
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
