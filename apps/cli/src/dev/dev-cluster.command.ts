import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { parsers, readOptions, sleep } from '@pando/common';
import { ChildProcessSupervisor } from './child-process.supervisor';

const devOptions = {
  dataDir: { flag: 'data-dir', env: 'PANDO_DEV_DATA_DIR', description: 'where the dev cluster keeps NATS data and the agent work dir', default: '.pando', parse: parsers.string },
  natsPort: { flag: 'nats-port', env: 'PANDO_DEV_NATS_PORT', description: 'NATS client port (a server already answering there is used as is)', default: 4222, parse: parsers.int(1, 65535) },
  masterPort: { flag: 'master-port', env: 'PANDO_DEV_MASTER_PORT', description: 'master HTTP port', default: 5050, parse: parsers.int(1, 65535) },
  agentPort: { flag: 'agent-port', env: 'PANDO_DEV_AGENT_PORT', description: 'agent HTTP port', default: 5051, parse: parsers.int(1, 65535) },
};

/**
 * `pando dev`: the all-in-one dev cluster, like `nomad agent -dev`. It runs the production
 * entry points as child processes (same code, same flags), spawning nats-server only when
 * none answers on the NATS port.
 */
export async function runDevCluster(argv: string[]): Promise<void> {
  const options = readOptions(devOptions, argv);
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const supervisor = new ChildProcessSupervisor();
  supervisor.stopOnSignals();
  try {
    await startAll(supervisor, options, dataDir);
  } catch (err) {
    process.stderr.write(`[dev] ${err instanceof Error ? err.message : String(err)}\n`);
    await supervisor.stopAll(1);
  }
}

async function startAll(
  supervisor: ChildProcessSupervisor,
  options: { natsPort: number; masterPort: number; agentPort: number },
  dataDir: string,
): Promise<void> {
  const natsUrl = `nats://127.0.0.1:${options.natsPort}`;

  if (await natsAnswers(natsUrl)) {
    console.log(`[dev] using the nats-server already running at ${natsUrl}`);
  } else {
    const natsDir = join(dataDir, 'nats');
    mkdirSync(natsDir, { recursive: true });
    supervisor.start('nats', findNatsServer(), ['-a', '127.0.0.1', '-p', String(options.natsPort), '-js', '-sd', natsDir]);
    await waitUntil(() => natsAnswers(natsUrl), `nats-server on ${natsUrl}`);
  }

  const appsDir = resolve(__dirname, '..', '..', '..');
  const common = { PANDO_NATS_SERVERS: natsUrl, PANDO_LOG_LEVEL: process.env.PANDO_LOG_LEVEL ?? 'info' };
  const masterUrl = `http://127.0.0.1:${options.masterPort}`;
  supervisor.start('master', process.execPath, [join(appsDir, 'master', 'src', 'main.js')], {
    ...common,
    PANDO_MASTER_HTTP: `0.0.0.0:${options.masterPort}`,
  });
  await waitUntil(() => httpAnswers(`${masterUrl}/health`), `master on ${masterUrl}`);

  const agentUrl = `http://127.0.0.1:${options.agentPort}`;
  supervisor.start('agent', process.execPath, [join(appsDir, 'agent', 'src', 'main.js')], {
    ...common,
    PANDO_AGENT_HTTP: `0.0.0.0:${options.agentPort}`,
    PANDO_AGENT_WORK_DIR: join(dataDir, 'agent'),
  });
  await waitUntil(() => httpAnswers(`${agentUrl}/health`), `agent on ${agentUrl}`);

  console.log(
    [
      '',
      'Pando dev cluster is up:',
      `  master      ${masterUrl}   (state: ${masterUrl}/master/state)`,
      `  agent       ${agentUrl}   (state: ${agentUrl}/state)`,
      `  nats        ${natsUrl}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

function findNatsServer(): string {
  const candidates = [process.env.PANDO_NATS_SERVER_BIN, '/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];
  const found = candidates.find((c): c is string => !!c && existsSync(c));
  if (!found) throw new Error('nats-server not found: install it (Debian: apt-get install nats-server) or set PANDO_NATS_SERVER_BIN');
  return found;
}

async function natsAnswers(url: string): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, reconnect: false, timeout: 500 });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

async function httpAnswers(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

async function waitUntil(probe: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
