import { describeError, type Logger } from '@pando/common';
import { updatesOf, type SchedulerEvent, type TaskStatus } from '@pando/protocol';
import type { Scheduler } from './scheduler.interface';
import type { SchedulerDriver } from './scheduler-driver';

/** What dispatchEvent needs from the driver. */
export interface DispatchContext {
  scheduler: Scheduler;
  driver: SchedulerDriver;
  log: Logger;
  /** Queues an ACKNOWLEDGE (the driver batches them); failures are the context's to log. */
  acknowledge(agentId: string, taskId: string, uuid: string): void;
}

/**
 * Hands one event to the matching Scheduler callback and waits for it. SUBSCRIBED, ERROR and
 * HEARTBEAT never get here: they change the driver's own state and are handled on arrival.
 * Callback failures are logged here, with the callback's name, and never propagate.
 */
export async function dispatchEvent(ctx: DispatchContext, event: SchedulerEvent): Promise<void> {
  const { scheduler, driver } = ctx;
  switch (event.type) {
    case 'OFFERS':
      await guarded(ctx, 'offers', () => scheduler.offers(driver, event.offers));
      return;
    case 'RESCIND':
      await guarded(ctx, 'rescinded', () => scheduler.rescinded?.(driver, event.rescind.offerId));
      return;
    case 'UPDATE':
      // A batch of updates is delivered one by one, as if each had come alone; only callbacks
      // that return a promise are waited for (a promise per update cost more than the update).
      for (const status of updatesOf(event)) {
        const pending = deliverUpdate(ctx, status);
        if (pending) await pending;
      }
      return;
    case 'MESSAGE':
      await guarded(ctx, 'message', () => scheduler.message?.(driver, event.message));
      return;
    case 'FAILURE':
      await guarded(ctx, 'failure', () => scheduler.failure?.(driver, event.failure));
      return;
    default:
      return;
  }
}

/**
 * The reliable-update rule: acknowledge only what the scheduler has processed. An update the
 * callback failed on stays unacknowledged, so the agent keeps it and the master sends it again;
 * acknowledging it would lose it for good. Returns a promise only when the callback did.
 */
function deliverUpdate(ctx: DispatchContext, status: TaskStatus): Promise<void> | undefined {
  let result: unknown;
  try {
    result = ctx.scheduler.update(ctx.driver, status);
  } catch (err) {
    callbackFailed(ctx, 'update', err);
    return undefined;
  }
  if (!isThenable(result)) {
    acknowledgeProcessed(ctx, status);
    return undefined;
  }
  return Promise.resolve(result).then(
    () => acknowledgeProcessed(ctx, status),
    (err: unknown) => callbackFailed(ctx, 'update', err),
  );
}

function acknowledgeProcessed(ctx: DispatchContext, { agentId, taskId, uuid }: TaskStatus): void {
  if (uuid === undefined) return;
  if (agentId === undefined) {
    ctx.log.warn({ taskId, uuid }, `cannot acknowledge update ${uuid} of task '${taskId}': it names no agent`);
    return;
  }
  // Queued, not awaited: the next event need not wait for the master's round trip.
  ctx.acknowledge(agentId, taskId, uuid);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

function callbackFailed(ctx: DispatchContext, name: string, err: unknown): void {
  ctx.log.error({ callback: name, err: describeError(err) }, `scheduler callback '${name}' failed: ${describeError(err)}`);
}

/** Runs one callback; true when it returned (or its promise resolved) without throwing. */
async function guarded(ctx: DispatchContext, name: string, callback: () => unknown): Promise<boolean> {
  try {
    await callback();
    return true;
  } catch (err) {
    callbackFailed(ctx, name, err);
    return false;
  }
}
