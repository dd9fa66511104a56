import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { ManagedProcess } from './managed-process';
import { freePort } from './ports';
import { waitFor } from './wait';

/** Where Debian's nats-server lives; PANDO_NATS_SERVER_BIN overrides. */
export function natsServerBinary(): string {
  const candidates = [process.env.PANDO_NATS_SERVER_BIN, '/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];
  const found = candidates.find((c): c is string => !!c && existsSync(c));
  if (!found) throw new Error('nats-server not found: install it (Debian: apt-get install nats-server) or set PANDO_NATS_SERVER_BIN');
  return found;
}

export interface RunningNats {
  url: string;
  port: number;
  process: ManagedProcess;
  stop(): Promise<void>;
  /** SIGKILL, keeping the data dir (to restart on the same port with restart()). */
  kill9(): Promise<void>;
  restart(): Promise<void>;
}

/** Starts a real single-node nats-server with JetStream on a free loopback port. */
export async function startNatsServer(options: { port?: number; jetstream?: boolean } = {}): Promise<RunningNats> {
  const port = options.port ?? (await freePort());
  const dataDir = mkdtempSync(join(tmpdir(), 'pando-nats-'));
  const args = ['-a', '127.0.0.1', '-p', String(port)];
  if (options.jetstream !== false) args.push('-js', '-sd', dataDir);
  const url = `nats://127.0.0.1:${port}`;
  const spawnIt = (): ManagedProcess => new ManagedProcess({ name: `nats:${port}`, command: natsServerBinary(), args });
  const running: RunningNats = {
    url,
    port,
    process: spawnIt(),
    async stop() {
      await running.process.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    async kill9() {
      running.process.kill('SIGKILL');
      await running.process.waitForExit();
    },
    async restart() {
      running.process = spawnIt();
      await waitUntilServing(url);
    },
  };
  await waitUntilServing(url);
  return running;
}

export async function waitUntilServing(url: string): Promise<void> {
  await waitFor(
    async () => {
      const nc = await connect({ servers: url, reconnect: false, timeout: 500 });
      await nc.close();
      return true;
    },
    `nats-server at ${url}`,
    10_000,
    50,
  );
}
