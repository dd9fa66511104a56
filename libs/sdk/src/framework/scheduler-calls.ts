import {
  ConflictError,
  InputError,
  NotFoundError,
  NotSupportedError,
  PandoError,
  UnavailableError,
  toPandoError,
} from '@pando/common';
import type { Acknowledgement, FrameworkInfoInput, Offer, Operation, SchedulerCall, SchedulerCallReply, TaskSpec } from '@pando/protocol';

/**
 * Pure builders for the scheduler call bodies the driver sends, kept apart from the driver so the
 * wire shapes can be read (and tested) in one place. Every body is validated against
 * schedulerCallSchema by the driver before it is sent.
 */

/** A successful call reply (a refused call rejects instead). */
export type CallReply = Extract<SchedulerCallReply, { ok: true }>;

/** DECLINE/ACCEPT filters: how long the master should not offer these resources again. */
export interface OfferFilters {
  /** Seconds; the master's default is 5. */
  refuseSeconds?: number;
}

/** Offers given either as Offer objects (as received) or as their ids. */
export type OfferRefs = Offer | string | ReadonlyArray<Offer | string>;

/** A task to reconcile; without agentId the master looks it up. */
export interface ReconcileTask {
  taskId: string;
  agentId?: string;
}

/** The ids of `offers`, in order. */
export function offerIdsOf(offers: OfferRefs): string[] {
  const list: ReadonlyArray<Offer | string> = typeof offers === 'string' || !Array.isArray(offers) ? [offers as Offer | string] : offers;
  return list.map((o) => (typeof o === 'string' ? o : o.id));
}

export function subscribeCall(frameworkInfo: FrameworkInfoInput): SchedulerCall {
  return frameworkInfo.id
    ? { type: 'SUBSCRIBE', frameworkId: frameworkInfo.id, subscribe: { frameworkInfo } }
    : { type: 'SUBSCRIBE', subscribe: { frameworkInfo } };
}

export function acceptCall(frameworkId: string, offerIds: string[], operations: Operation[], filters?: OfferFilters): SchedulerCall {
  return { type: 'ACCEPT', frameworkId, accept: { offerIds, operations, ...(filters ? { filters } : {}) } };
}

export function launchOperation(tasks: TaskSpec[]): Operation {
  return { type: 'LAUNCH', launch: { taskInfos: tasks } };
}

export function launchGroupOperation(tasks: TaskSpec[]): Operation {
  return { type: 'LAUNCH_GROUP', launchGroup: { taskGroup: { tasks } } };
}

export function declineCall(frameworkId: string, offerIds: string[], filters?: OfferFilters): SchedulerCall {
  return { type: 'DECLINE', frameworkId, decline: { offerIds, ...(filters ? { filters } : {}) } };
}

export function reviveCall(frameworkId: string, roles?: string[]): SchedulerCall {
  return { type: 'REVIVE', frameworkId, revive: roles ? { roles } : {} };
}

export function suppressCall(frameworkId: string, roles?: string[]): SchedulerCall {
  return { type: 'SUPPRESS', frameworkId, suppress: roles ? { roles } : {} };
}

export function killCall(frameworkId: string, taskId: string, agentId?: string, gracePeriodMs?: number): SchedulerCall {
  return {
    type: 'KILL',
    frameworkId,
    kill: {
      taskId,
      ...(agentId !== undefined ? { agentId } : {}),
      ...(gracePeriodMs !== undefined ? { killPolicy: { gracePeriodMs } } : {}),
    },
  };
}

export function shutdownCall(frameworkId: string, agentId: string): SchedulerCall {
  return { type: 'SHUTDOWN', frameworkId, shutdown: { agentId } };
}

export function acknowledgeCall(frameworkId: string, agentId: string, taskId: string, uuid: string): SchedulerCall {
  return { type: 'ACKNOWLEDGE', frameworkId, acknowledge: { agentId, taskId, uuid } };
}

/** ACKNOWLEDGE of several updates at once (a lone one in Mesos's single form). */
export function acknowledgeAllCall(frameworkId: string, acks: readonly Acknowledgement[]): SchedulerCall {
  if (acks.length === 1) return acknowledgeCall(frameworkId, acks[0]!.agentId, acks[0]!.taskId, acks[0]!.uuid);
  return { type: 'ACKNOWLEDGE', frameworkId, acknowledgements: [...acks] };
}

export function reconcileCall(frameworkId: string, tasks: ReconcileTask[] = []): SchedulerCall {
  return { type: 'RECONCILE', frameworkId, reconcile: { tasks } };
}

export function messageCall(frameworkId: string, agentId: string, taskId: string, data: string): SchedulerCall {
  return { type: 'MESSAGE', frameworkId, message: { agentId, taskId, data } };
}

export function teardownCall(frameworkId: string): SchedulerCall {
  return { type: 'TEARDOWN', frameworkId };
}

export function updateFrameworkCall(frameworkId: string, frameworkInfo: FrameworkInfoInput): SchedulerCall {
  return { type: 'UPDATE_FRAMEWORK', frameworkId, updateFramework: { frameworkInfo: { ...frameworkInfo, id: frameworkId } } };
}

/**
 * Errors rebuilt from a reply are plain PandoErrors carrying a code; this maps them to the
 * matching subclass so that callers can use `instanceof ConflictError` as well as `.code`.
 */
export function typedError(err: unknown): PandoError {
  const error = toPandoError(err);
  if (error.constructor !== PandoError) return error;
  switch (error.code) {
    case 'INPUT':
      return new InputError(error.message, error.details);
    case 'NOT_FOUND':
      return new NotFoundError(error.message);
    case 'CONFLICT':
      return new ConflictError(error.message);
    case 'NOT_SUPPORTED':
      return new NotSupportedError(error.message);
    case 'UNAVAILABLE':
      return new UnavailableError(error.message, error.details);
    default:
      return error;
  }
}
