import { defineFrameworkPlugin, FRAMEWORK_PLUGIN_API_VERSION } from '@pando/sdk';
import { RunOnceModule } from './run-once.module';
import { RunOnceScheduler } from './run-once.scheduler';

export { RunOnceModule } from './run-once.module';
export { RunOnceScheduler } from './run-once.scheduler';
export type { Run } from './run-book';

/**
 * Runs a command once on every agent (`--plugin-opts run-once-per-agent.command=...`), and tells
 * over HTTP what ran where: `GET /runs`, `GET /runs/<agentId>`, `GET /runs/events` (SSE).
 * The host finds this value among the module's exports, whatever its name.
 */
export const runOncePerAgentPlugin = defineFrameworkPlugin({
  id: 'run-once-per-agent',
  apiVersion: FRAMEWORK_PLUGIN_API_VERSION,
  framework: { name: 'run-once-per-agent', failoverTimeoutSeconds: 3600 },
  defaultPort: 4480,
  module: RunOnceModule,
  scheduler: RunOnceScheduler,
});
