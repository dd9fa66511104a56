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
export const REGISTRY_SINK = Symbol('REGISTRY_SINK');
/** How the process ends when it must stop leading (crash-only: a supervisor restarts it as a standby). */
export const MASTER_EXIT = Symbol('MASTER_EXIT');
/** The clock of the leader lease (the system clock; specs that fake the master's clock keep a real one here). */
export const LEASE_CLOCK = Symbol('LEASE_CLOCK');
/** True: the lease runs in a worker thread (the master process); false: on the main thread (specs). */
export const LEASE_IN_WORKER = Symbol('LEASE_IN_WORKER');

export type MasterExit = (code: number, reason: string) => void;
