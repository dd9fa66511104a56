import type { Offer, TaskStatus } from '@pando/protocol';
import type { SchedulerDriver } from './scheduler-driver';

/** What `Scheduler.subscribed` is told about the (re)subscription that just succeeded. */
export interface SubscribedInfo {
  /** The framework's id: keep it (with failoverTimeoutSeconds) to fail over to a new process. */
  frameworkId: string;
  /** The leading master's id, when the master reported one. */
  masterId?: string;
  /** The leading master's epoch (its leader lease revision). */
  epoch: number;
  /** True on every subscription after the first one made by this driver. */
  reconnected: boolean;
}

/** A framework message sent by an executor (MESSAGE event). */
export interface FrameworkMessage {
  agentId: string;
  taskId?: string;
  /** Opaque payload, base64 as on the wire (the driver does not decode it). */
  data: string;
}

/** An agent or an executor failed (FAILURE event). */
export interface FailureInfo {
  agentId?: string;
  taskId?: string;
  /** The executor's exit status, when an executor failed. */
  status?: number;
}

/**
 * What a framework implements: the callbacks its SchedulerDriver calls as events arrive from the
 * leading master. Only `offers` and `update` are required.
 *
 * Delivery: callbacks may return a promise. The driver delivers events one at a time, in the order
 * they arrived, waiting for each callback (and its promise) to finish before the next starts, so a
 * scheduler needs no locking of its own. A callback that throws is logged and delivery goes on;
 * the only callback whose failure changes anything is `update` (see there). Keep callbacks short:
 * while one runs, later events wait (heartbeats do not: the driver answers those itself).
 *
 * Order: `subscribed` first; then any of `offers`, `rescinded`, `update`, `message`, `failure`;
 * on master loss `disconnected` once, then `subscribed` again with `reconnected: true` when the
 * driver has re-subscribed. `error` is the last callback a driver ever makes.
 */
export interface Scheduler {
  /**
   * The driver is subscribed: after `start()`, and again after each re-subscription (master lost
   * or failed over). The driver sends an implicit reconciliation right after this callback
   * returns, so `update` callbacks for every task the master knows follow. Must be idempotent:
   * it may be called many times over a driver's life.
   */
  subscribed?(driver: SchedulerDriver, info: SubscribedInfo): void | Promise<void>;

  /**
   * Resource offers. Answer each one, soon, with `driver.accept`/`launch` or `driver.decline`:
   * an offer held is a resource nobody else can use until it is rescinded or times out.
   */
  offers(driver: SchedulerDriver, offers: Offer[]): void | Promise<void>;

  /** The master took an offer back (timeout, agent lost, ...): do not use it any more. */
  rescinded?(driver: SchedulerDriver, offerId: string): void | Promise<void>;

  /**
   * A task's status changed. When the update carries a `uuid` the driver acknowledges it after
   * this callback returns or its promise resolves; if it throws or rejects, the driver does not
   * acknowledge and the master sends the same update again later. Hence must be idempotent: the
   * same update (same uuid) can arrive more than once, and reconciliation repeats known states.
   */
  update(driver: SchedulerDriver, status: TaskStatus): void | Promise<void>;

  /** An executor sent the framework a message. */
  message?(driver: SchedulerDriver, message: FrameworkMessage): void | Promise<void>;

  /** An agent was removed or an executor exited; the tasks it ran get their own `update`s. */
  failure?(driver: SchedulerDriver, failure: FailureInfo): void | Promise<void>;

  /**
   * The master refused the framework (SUBSCRIBE refused) or removed it (ERROR event). The driver
   * has stopped when this is called: no callback follows. Called at most once.
   */
  error?(driver: SchedulerDriver, message: string): void | Promise<void>;

  /**
   * The master is lost (no event or heartbeat for 3 heartbeat intervals, or a call found no
   * master). Called once per loss; the driver is re-subscribing with backoff meanwhile and calls
   * made now are rejected with UnavailableError. `subscribed` follows when it is back.
   */
  disconnected?(driver: SchedulerDriver): void | Promise<void>;
}
