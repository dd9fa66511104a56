export * from './errors';
export * from './ids';
export * from './logger';
export * from './clock';
export * from './config/options';
export * from './nats/nats-settings';
export * from './nats/nats-connection';
export * from './lease/kv-lease';
