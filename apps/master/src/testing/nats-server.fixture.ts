import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';

const NATS_SERVER = process.env.NATS_SERVER_BIN ?? 'nats-server';

/**
 * A real nats-server on a free port for one spec file. (Belongs in libs/testing once that exists.)
 */
export class NatsServerFixture {
  private constructor(
    private readonly child: ChildProcess,
    private readonly storeDir: string,
    readonly url: string,
  ) {}

  static async start(): Promise<NatsServerFixture> {
    const port = await freePort();
    const storeDir = mkdtempSync(join(tmpdir(), 'pando-master-nats-'));
    const child = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: 'ignore' });
    const fixture = new NatsServerFixture(child, storeDir, `nats://127.0.0.1:${port}`);
    await fixture.waitReady();
    return fixture;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.storeDir, { recursive: true, force: true });
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const nc = await connect({ servers: this.url, timeout: 500 });
        await nc.close();
        return;
      } catch (err) {
        if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`nats-server did not start on ${this.url}: ${String(err)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
