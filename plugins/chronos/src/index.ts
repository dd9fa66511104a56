// The pure core of Pando's Chronos-compatible scheduler: job format, schedules, run planning,
// the dependency graph and the JSON views. No I/O: the framework plugin builds on these.
export * from './job.schema';
export * from './job-name';
export * from './job-schedule';
export * from './job-graph';
export * from './job-stats';
export * from './job-view';
export * from './schedule';
export * from './iso8601-schedule';
export * from './cron-schedule';
export * from './iso-duration';
export * from './zoned-time';
export * from './run-planner';
export * from './run-policy';
