export type { Scheduler, SubscribedInfo, FrameworkMessage, FailureInfo } from './scheduler.interface';
export {
  SchedulerDriver,
  DEFAULT_HEARTBEAT_INTERVAL_SECONDS,
  MISSED_HEARTBEATS_BEFORE_LOSS,
  type SchedulerDriverOptions,
  type SchedulerDriverState,
} from './scheduler-driver';
export type { CallReply, OfferFilters, OfferRefs, ReconcileTask } from './scheduler-calls';
export { SchedulerDriverCalls } from './scheduler-driver-calls';
export { ReconnectBackoff, type ReconnectBackoffOptions } from './reconnect-backoff';
export { taskSpec, offerResources, generatedTaskId, type TaskSpecInput, type ValidatedTaskSpec } from './task-spec';
export { reservedFor, reserveOperation, unreserveOperation, type ReservationOptions } from './reservations';
