import { defineFrameworkPlugin, FRAMEWORK_PLUGIN_API_VERSION } from '@pando/sdk';
import { ChronosModule } from './chronos.module';
import { ChronosScheduler } from './chronos.scheduler';

/** Chronos's port, as the original served its API on. */
export const CHRONOS_DEFAULT_PORT = 4400;

/**
 * The Chronos framework plugin (`PANDO_PLUGINS=chronos`): a cron batch scheduler with
 * Chronos's `/v1/scheduler` API. Its tasks survive a framework-host failover for a week.
 */
export const chronosPlugin = defineFrameworkPlugin({
  id: 'chronos',
  apiVersion: FRAMEWORK_PLUGIN_API_VERSION,
  framework: { name: 'chronos', failoverTimeoutSeconds: 7 * 24 * 3600 },
  defaultPort: CHRONOS_DEFAULT_PORT,
  module: ChronosModule,
  scheduler: ChronosScheduler,
});
