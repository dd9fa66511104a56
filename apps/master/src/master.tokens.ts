/**
 * Injection tokens for the master's options and adapters (side effects behind small seams, so
 * that services can be built in tests with a fake clock or a different sink).
 */
export const MASTER_OPTIONS_TOKEN = Symbol('MASTER_OPTIONS');
export const CLOCK = Symbol('CLOCK');
export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
export const STATUS_UPDATE_SINK = Symbol('STATUS_UPDATE_SINK');
export const AGENT_OBSERVER = Symbol('AGENT_OBSERVER');
export const TASK_STATE_POLICY = Symbol('TASK_STATE_POLICY');
export const ALLOCATOR = Symbol('ALLOCATOR');
