/**
 * Pando's Marathon-compatible service scheduler. `marathonPlugin` is the framework plugin the
 * framework host loads (`PANDO_PLUGINS=marathon`). The rest is its pure core — app definitions
 * and their validation, updates and versions, offer matching with constraints, deployment plans
 * and the rolling-restart state machine, the launch queue, task specs, Marathon's `/v2` JSON —
 * on which the plugin's scheduler (src/scheduler), state (src/state) and REST API (src/api) are
 * built.
 */
export * from './path-id';
export * from './app.types';
export * from './marathon-validation.error';
export * from './app-fields.schema';
export * from './app.schema';
export * from './app-json.view';
export * from './app-update.merge';
export * from './service-ports';
export * from './constraint.matcher';
export * from './offer.matcher';
export * from './app-task';
export * from './kill-selection';
export * from './task-id';
export * from './app-task.factory';
export * from './deployment.planner';
export * from './rolling-restart.machine';
export * from './launch-queue';
export * from './marathon-json.view';
export * from './marathon-status.view';
export * from './marathon-events.view';
export * from './marathon.options';
export { marathonPlugin } from './marathon.plugin';
export { MarathonModule } from './marathon.module';
export { MarathonScheduler } from './scheduler/marathon.scheduler';
