import { defineFrameworkPlugin, FRAMEWORK_PLUGIN_API_VERSION } from '@pando/sdk';
import { MarathonModule } from './marathon.module';
import { MARATHON_ROLE } from './marathon.options';
import { MarathonScheduler } from './scheduler/marathon.scheduler';

/**
 * The Marathon framework plugin: `PANDO_PLUGINS=marathon` on the framework host serves
 * Marathon's `/v2` API on port 8080 (by default) and keeps the apps running.
 */
export const marathonPlugin = defineFrameworkPlugin({
  id: 'marathon',
  apiVersion: FRAMEWORK_PLUGIN_API_VERSION,
  framework: {
    name: 'marathon',
    roles: [MARATHON_ROLE],
    failoverTimeoutSeconds: 7 * 24 * 3600,
    // Partition aware: lost agents make tasks UNREACHABLE, handled by each app's unreachableStrategy.
    capabilities: ['PARTITION_AWARE', 'TASK_KILLING_STATE'],
  },
  defaultPort: 8080,
  module: MarathonModule,
  scheduler: MarathonScheduler,
});
