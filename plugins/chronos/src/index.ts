// Pando's Chronos-compatible scheduler: the framework plugin (`chronosPlugin`, loaded by the
// framework host) and its pure core (job format, schedules, run planning, graph, JSON views).
export * from './chronos.plugin';
export * from './chronos.module';
export * from './chronos.scheduler';
export * from './chronos.options';
export * from './job.schema';
export * from './job-name';
export * from './job-schedule';
export * from './job-graph';
export * from './job-stats';
export * from './job-view';
export * from './job-plan';
export * from './schedule';
export * from './iso8601-schedule';
export * from './cron-schedule';
export * from './iso-duration';
export * from './zoned-time';
export * from './run-planner';
export * from './run-policy';
export * from './run-record';
export * from './run-task.factory';
export * from './run-events.service';
export * from './store-keys';
export * from './stored-job';
