import { createWriteStream, type WriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';

/**
 * The task's <sandbox>/stdout and <sandbox>/stderr, opened for appending: after an agent restart
 * the re-attached container's output goes on after what was written before.
 */
export class SandboxLogSink {
  private constructor(
    readonly stdout: WriteStream,
    readonly stderr: WriteStream,
  ) {}

  static async open(sandboxDir: string, onError: (err: Error) => void): Promise<SandboxLogSink> {
    const stdout = createWriteStream(join(sandboxDir, 'stdout'), { flags: 'a' });
    const stderr = createWriteStream(join(sandboxDir, 'stderr'), { flags: 'a' });
    try {
      await Promise.all([once(stdout, 'open'), once(stderr, 'open')]);
    } catch (err) {
      stdout.destroy();
      stderr.destroy();
      throw err;
    }
    // A full disk must not crash the agent: later write errors are only logged.
    stdout.on('error', onError);
    stderr.on('error', onError);
    return new SandboxLogSink(stdout, stderr);
  }

  /** Flushes and closes both files. */
  async close(): Promise<void> {
    await Promise.all([endStream(this.stdout), endStream(this.stderr)]);
  }
}

function endStream(stream: WriteStream): Promise<void> {
  if (stream.closed || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('close', () => resolve());
    stream.end();
  });
}

/**
 * Where to resume a container's output after the stream broke (agent restart, engine outage):
 * the last write to its sandbox files (whole seconds, as the engine's `since` takes them), so what
 * it wrote meanwhile — or before, but had not reached us yet — is fetched. Lines of that last
 * second may appear twice; none are lost. No files: from the start.
 */
export async function lastSandboxWriteSeconds(sandboxDir: string): Promise<number> {
  const times = await Promise.all(['stdout', 'stderr'].map((name) => stat(join(sandboxDir, name)).then((s) => s.mtimeMs, () => 0)));
  return Math.floor(Math.max(...times) / 1000);
}
