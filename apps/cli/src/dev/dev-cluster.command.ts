import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { describeError, parsers, readOptions, sleep, type OptionSpec } from '@pando/common';
import { ChildProcessSupervisor } from './child-process.supervisor';

const devOptions = {
  dataDir: { flag: 'data-dir', env: 'PANDO_DEV_DATA_DIR', description: 'where the dev cluster keeps NATS data and the agent work dir', default: '.pando', parse: parsers.string },
  natsPort: { flag: 'nats-port', env: 'PANDO_DEV_NATS_PORT', description: 'NATS client port (a server already answering there is used as is)', default: 4222, parse: parsers.int(1, 65535) },
  masterPort: { flag: 'master-port', env: 'PANDO_DEV_MASTER_PORT', description: 'master HTTP port', default: 5050, parse: parsers.int(1, 65535) },
  agentPort: { flag: 'agent-port', env: 'PANDO_DEV_AGENT_PORT', description: 'agent HTTP port', default: 5051, parse: parsers.int(1, 65535) },
  plugins: {
    flag: 'plugins',
    env: 'PANDO_DEV_PLUGINS',
    description: 'framework plugins for the framework host (default: every bundled plugin this build can run); ports and options come from PANDO_PLUGIN_PORTS / PANDO_PLUGIN_OPTS',
    parse: parsers.list,
  } as OptionSpec<string[] | undefined>,
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
  options: { natsPort: number; masterPort: number; agentPort: number; plugins?: string[] },
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

  const plugins = await startFrameworkHost(supervisor, join(appsDir, 'framework-host', 'src', 'main.js'), common, options.plugins);

  console.log(
    [
      '',
      'Pando dev cluster is up:',
      `  master      ${masterUrl}   (state: ${masterUrl}/master/state)`,
      `  agent       ${agentUrl}   (state: ${agentUrl}/state)`,
      ...plugins.map((p) => `  ${p.id.padEnd(11)} ${p.url}   (framework plugin)`),
      `  nats        ${natsUrl}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

interface BundledPlugin {
  id: string;
  available: boolean;
  defaultPort?: number;
  problem?: string;
}

/**
 * The framework host with the bundled plugins this build can run (or those named with --plugins),
 * on their default ports unless PANDO_PLUGIN_PORTS says otherwise. A bundled plugin this build
 * cannot run is skipped with a line saying why; with none to run, no host is started.
 */
async function startFrameworkHost(
  supervisor: ChildProcessSupervisor,
  entry: string,
  common: Record<string, string>,
  named: string[] | undefined,
): Promise<Array<{ id: string; url: string }>> {
  let plugins = named;
  let bundled: BundledPlugin[] = [];
  try {
    // The last line: a plugin package might log while it is imported.
    const lines = (await run(process.execPath, [entry, '--list-bundled-plugins'])).trim().split('\n');
    bundled = JSON.parse(lines[lines.length - 1]) as BundledPlugin[];
  } catch (err) {
    if (!plugins) throw new Error(`cannot list the bundled framework plugins: ${describeError(err)}`);
  }
  if (!plugins) {
    for (const p of bundled.filter((b) => !b.available)) console.log(`[dev] skipping framework plugin '${p.id}': ${p.problem ?? 'not available'}`);
    plugins = bundled.filter((b) => b.available).map((b) => b.id);
  }
  if (plugins.length === 0) {
    console.log('[dev] no framework plugin to run: not starting the framework host');
    return [];
  }
  // A stable host id: after an unclean stop, the next `pando dev` takes its leases back at once.
  supervisor.start('framework-host', process.execPath, [entry], {
    ...common,
    PANDO_PLUGINS: plugins.join(','),
    PANDO_FRAMEWORK_HOST_ID: process.env.PANDO_FRAMEWORK_HOST_ID ?? 'dev',
    PANDO_FRAMEWORK_HOST_ADVERTISE_HOST: process.env.PANDO_FRAMEWORK_HOST_ADVERTISE_HOST ?? '127.0.0.1',
  });
  const ports = parsePorts(process.env.PANDO_PLUGIN_PORTS);
  const started: Array<{ id: string; url: string }> = [];
  for (const id of plugins) {
    const port = ports[id] ?? bundled.find((b) => b.id === id)?.defaultPort;
    if (port === undefined) continue; // not a bundled plugin: its port is its own business
    const url = `http://127.0.0.1:${port}`;
    await waitUntil(() => httpAnswers(`${url}/_pando/health`), `framework plugin '${id}' on ${url}`);
    started.push({ id, url });
  }
  return started;
}

function parsePorts(raw: string | undefined): Record<string, number> {
  const ports: Record<string, number> = {};
  for (const item of (raw ?? '').split(',')) {
    const [id, port] = item.split('=');
    if (id && port && Number.isInteger(Number(port))) ports[id.trim()] = Number(port);
  }
  return ports;
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}${stderr ? `: ${stderr}` : ''}`)) : resolve(stdout)));
  });
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
