export * from './executor/executor.contract';
export * from './executor/define-executor-plugin';
export * from './executor/executor-registry';
export * from './framework';
export * from './plugin';
