import 'reflect-metadata';
import { createLogger, describeError } from '@pando/common';
import { readWorkerConfig } from './worker/worker-config';
import { PluginWorker } from './worker/plugin-worker.runner';

/**
 * `node dist/apps/framework-host/src/plugin-worker.js <plugin-id>`: one plugin's process, forked
 * by the framework host (main.js), which passes its configuration in the environment.
 */
const pluginId = process.argv[2];
const log = createLogger('framework-host.worker', { plugin: pluginId });

async function main(): Promise<void> {
  const worker = new PluginWorker(readWorkerConfig(pluginId));
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    // Ctrl-C reaches the host and its workers alike, then the host sends SIGTERM: one stop is enough
    // (the host kills a worker that takes too long).
    if (stopping) return;
    stopping = true;
    log.info({ signal }, `received ${signal}, stopping plugin '${pluginId}'`);
    worker.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: describeError(err) }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The host went away without stopping us (it was killed): a worker never outlives its host.
  process.on('disconnect', () => {
    log.warn('the framework host is gone; exiting');
    process.exit(1);
  });
  await worker.start();
}

main().catch((err: unknown) => {
  log.fatal({ err: describeError(err) }, `plugin worker '${pluginId}' failed to start: ${describeError(err)}`);
  process.exit(1);
});
