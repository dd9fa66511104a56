import type { Operation, SchedulerCall, TaskSpec } from '@pando/protocol';
import * as calls from './scheduler-calls';
import type { CallReply, OfferFilters, OfferRefs, ReconcileTask } from './scheduler-calls';

/**
 * The calls a framework sends through its SchedulerDriver that need nothing but the framework id.
 * Kept apart from the driver's session logic (subscription, events, master loss), which supplies
 * `call`: each method resolves to the master's reply and rejects with a typed PandoError.
 * All may be called from any Scheduler callback, in any order, once the driver is subscribed.
 */
export abstract class SchedulerDriverCalls {
  /** Sends one call built for the current framework id (see SchedulerDriver for the rules). */
  protected abstract call(type: SchedulerCall['type'], build: (frameworkId: string) => SchedulerCall): Promise<CallReply>;

  /**
   * ACCEPT: applies operations (LAUNCH, LAUNCH_GROUP, RESERVE, UNRESERVE; see reserveOperation)
   * to the offers, in order; resources left over are declined with `filters`. The reply's
   * refusedOffers names stale offers, refusedOperations the RESERVE/UNRESERVE refused (with a
   * typed error each); refused tasks come as TASK_ERROR updates.
   */
  accept(offers: OfferRefs, operations: Operation[], filters?: OfferFilters): Promise<CallReply> {
    return this.call('ACCEPT', (id) => calls.acceptCall(id, calls.offerIdsOf(offers), operations, filters));
  }

  /** ACCEPT with one LAUNCH of `tasks` (see taskSpec); the reply's refusedOffers says which offers were stale. */
  launch(offers: OfferRefs, tasks: TaskSpec[], filters?: OfferFilters): Promise<CallReply> {
    return this.accept(offers, [calls.launchOperation(tasks)], filters);
  }

  /** ACCEPT with one LAUNCH_GROUP: the tasks start together on one agent, or none does. */
  launchGroup(offers: OfferRefs, tasks: TaskSpec[], filters?: OfferFilters): Promise<CallReply> {
    return this.accept(offers, [calls.launchGroupOperation(tasks)], filters);
  }

  /** DECLINE: the master will not offer these resources again for filters.refuseSeconds (default 5). */
  decline(offers: OfferRefs, filters?: OfferFilters): Promise<CallReply> {
    return this.call('DECLINE', (id) => calls.declineCall(id, calls.offerIdsOf(offers), filters));
  }

  /** REVIVE: clears decline filters and resumes offers (all roles, or `roles`). */
  revive(roles?: string[]): Promise<CallReply> {
    return this.call('REVIVE', (id) => calls.reviveCall(id, roles));
  }

  /** SUPPRESS: stops offers (all roles, or `roles`) until REVIVE. To stay suppressed across a master failover, suppress again in `subscribed`. */
  suppress(roles?: string[]): Promise<CallReply> {
    return this.call('SUPPRESS', (id) => calls.suppressCall(id, roles));
  }

  /** KILL: the task's terminal update arrives through `update`. Idempotent on the master. */
  kill(taskId: string, agentId?: string, gracePeriodMs?: number): Promise<CallReply> {
    return this.call('KILL', (id) => calls.killCall(id, taskId, agentId, gracePeriodMs));
  }

  /** SHUTDOWN: kills every task of this framework on one agent (not the driver: see stop). */
  shutdown(agentId: string): Promise<CallReply> {
    return this.call('SHUTDOWN', (id) => calls.shutdownCall(id, agentId));
  }

  /** ACKNOWLEDGE: the driver already acknowledges every update with a uuid; this is for replays. */
  acknowledge(agentId: string, taskId: string, uuid: string): Promise<CallReply> {
    return this.call('ACKNOWLEDGE', (id) => calls.acknowledgeCall(id, agentId, taskId, uuid));
  }

  /** RECONCILE: the master answers with an `update` per task; no tasks = every task it knows. */
  reconcile(tasks: ReconcileTask[] = []): Promise<CallReply> {
    return this.call('RECONCILE', (id) => calls.reconcileCall(id, tasks));
  }

  /**
   * MESSAGE to a live task's executor on `agentId` (`data` base64, at most MAX_MESSAGE_BYTES
   * decoded, e.g. `Buffer.from('ping\n').toString('base64')`). Best effort, as in Mesos: resolves
   * once the master sent it on; rejects with NotFoundError (unknown agent or task),
   * ConflictError (another framework's task, or one that ended), InputError (the task runs on
   * another agent) or UnavailableError (agent unreachable). The command executor appends it to
   * the task's `$PANDO_INBOX` file.
   */
  message(agentId: string, taskId: string, data: string): Promise<CallReply> {
    return this.call('MESSAGE', (id) => calls.messageCall(id, agentId, taskId, data));
  }
}
