import 'reflect-metadata';
import { createLogger, describeError, describeOptions, InputError, systemClock } from '@pando/common';
import { frameworkHostOptionSpecs, readFrameworkHostOptions, type FrameworkHostOptions } from './framework-host.options';
import { bundledPluginAvailability, loadPlugins, pluginPort, type LoadedPlugin } from './plugins/plugin-loader';
import { forkWorkerLauncher, WorkerSupervisor } from './supervisor/worker.supervisor';
import type { WorkerConfig } from './worker/worker-config';

const log = createLogger('framework-host');
/** Flag outside the option specs: prints which bundled plugins this build can run (JSON), for `pando dev`. */
const LIST_BUNDLED_FLAG = '--list-bundled-plugins';

function optionsOrExit(argv: string[]): FrameworkHostOptions {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`usage: pando-framework-host [options]\n       pando-framework-host ${LIST_BUNDLED_FLAG}   (JSON: which bundled plugins this build can run)\n\n${describeOptions(frameworkHostOptionSpecs)}\n`);
    process.exit(0);
  }
  try {
    return readFrameworkHostOptions(argv);
  } catch (err) {
    process.stderr.write(`pando-framework-host: ${describeError(err)}\n`);
    process.exit(1);
  }
}

/**
 * Every plugin is loaded and checked here, before any worker starts: a plugin that cannot load,
 * or was built for another apiVersion, stops the host with a message naming it.
 */
async function pluginsOrExit(options: FrameworkHostOptions): Promise<LoadedPlugin[]> {
  try {
    return await loadPlugins(options.plugins, { cwd: process.cwd(), pluginPorts: options.pluginPorts, pluginOptions: options.pluginOptions });
  } catch (err) {
    const details = err instanceof InputError && err.details.length > 1 ? `\n${err.details.map((d) => `  - ${d}`).join('\n')}` : '';
    const message = err instanceof InputError && err.details.length > 1 ? 'cannot start the framework host:' : describeError(err);
    log.fatal({ err: describeError(err), problems: err instanceof InputError ? err.details : undefined }, describeError(err));
    process.stderr.write(`pando-framework-host: ${message}${details}\n`);
    process.exit(1);
  }
}

function workerConfig(entry: LoadedPlugin, options: FrameworkHostOptions): WorkerConfig {
  const { plugin } = entry;
  return {
    pluginId: plugin.id,
    spec: entry.spec,
    source: entry.source,
    port: pluginPort(plugin, options.pluginPorts),
    httpHost: options.httpHost,
    advertiseHost: options.advertiseHost,
    kvReplicas: options.kvReplicas,
    leaseTtlMs: options.leaseTtlMs,
    hostId: options.hostId,
    options: options.pluginOptions[plugin.id] ?? {},
    nats: options.nats,
  };
}

/** SIGTERM/SIGINT: stop every worker (each releases its lease), then exit 0. */
function exitOnSignals(supervisor: WorkerSupervisor): void {
  let closing = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    log.info({ signal }, `received ${signal}, stopping the plugin workers`);
    supervisor.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: describeError(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function main(): Promise<void> {
  if (process.argv.includes(LIST_BUNDLED_FLAG)) {
    process.stdout.write(`${JSON.stringify(await bundledPluginAvailability())}\n`);
    process.exit(0);
  }
  const options = optionsOrExit(process.argv.slice(2));
  const plugins = await pluginsOrExit(options);
  const supervisor = new WorkerSupervisor(forkWorkerLauncher(), systemClock, log, { initialMs: options.restartBackoffMs.initial, maxMs: options.restartBackoffMs.max });
  exitOnSignals(supervisor);
  supervisor.start(plugins.map((p) => workerConfig(p, options)));
  log.info(
    { hostId: options.hostId, plugins: plugins.map((p) => ({ id: p.plugin.id, port: pluginPort(p.plugin, options.pluginPorts), from: p.spec })), nats: options.nats.servers },
    `framework host ${options.hostId} running ${plugins.map((p) => `'${p.plugin.id}'`).join(', ')}`,
  );
}

main().catch((err: unknown) => {
  log.fatal({ err: describeError(err) }, 'framework host failed to start');
  process.stderr.write(`pando-framework-host: ${describeError(err)}\n`);
  process.exit(1);
});
