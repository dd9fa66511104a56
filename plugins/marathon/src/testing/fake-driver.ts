import type { Offer, Operation, TaskSpec, TaskStatus } from '@pando/protocol';
import { UnavailableError } from '@pando/common';
import type { CallReply, OfferFilters, OfferRefs, ReconcileTask, SchedulerDriverState } from '@pando/sdk';

/** One call the plugin made, as the fake driver recorded it. */
export type DriverCall =
  | { type: 'ACCEPT'; offerIds: string[]; tasks: TaskSpec[]; filters?: OfferFilters }
  | { type: 'DECLINE'; offerIds: string[]; filters?: OfferFilters }
  | { type: 'REVIVE' }
  | { type: 'SUPPRESS' }
  | { type: 'KILL'; taskId: string; agentId?: string; gracePeriodMs?: number }
  | { type: 'SHUTDOWN'; agentId: string }
  | { type: 'RECONCILE'; tasks: ReconcileTask[] };

/**
 * A stand-in for the SchedulerDriver in unit tests: records every call, answers ok (or what
 * `acceptReply` says), and is "subscribed" unless a test says otherwise. End-to-end suites use
 * the real driver against a real master.
 */
export class FakeDriver {
  state: SchedulerDriverState = 'subscribed';
  frameworkId: string | undefined = 'framework-1';
  frameworkInfo = { name: 'marathon', roles: ['*'], failoverTimeoutSeconds: 604800, capabilities: [] as string[] };
  readonly calls: DriverCall[] = [];
  /** Replies to ACCEPT; default ok. */
  acceptReply: (offerIds: string[]) => CallReply | Promise<CallReply> = () => ({ ok: true });

  accept(offers: OfferRefs, operations: Operation[], filters?: OfferFilters): Promise<CallReply> {
    const offerIds = ids(offers);
    const tasks = operations.flatMap((op) => (op.type === 'LAUNCH' ? op.launch.taskInfos : []));
    return this.record({ type: 'ACCEPT', offerIds, tasks, ...(filters ? { filters } : {}) }, () => this.acceptReply(offerIds));
  }

  launch(offers: OfferRefs, tasks: TaskSpec[], filters?: OfferFilters): Promise<CallReply> {
    return this.accept(offers, [{ type: 'LAUNCH', launch: { taskInfos: tasks } }], filters);
  }

  decline(offers: OfferRefs, filters?: OfferFilters): Promise<CallReply> {
    return this.record({ type: 'DECLINE', offerIds: ids(offers), ...(filters ? { filters } : {}) });
  }

  revive(): Promise<CallReply> {
    return this.record({ type: 'REVIVE' });
  }

  suppress(): Promise<CallReply> {
    return this.record({ type: 'SUPPRESS' });
  }

  kill(taskId: string, agentId?: string, gracePeriodMs?: number): Promise<CallReply> {
    return this.record({ type: 'KILL', taskId, ...(agentId !== undefined ? { agentId } : {}), ...(gracePeriodMs !== undefined ? { gracePeriodMs } : {}) });
  }

  shutdown(agentId: string): Promise<CallReply> {
    return this.record({ type: 'SHUTDOWN', agentId });
  }

  reconcile(tasks: ReconcileTask[] = []): Promise<CallReply> {
    return this.record({ type: 'RECONCILE', tasks });
  }

  /** Calls of one type, for assertions. */
  callsOf<T extends DriverCall['type']>(type: T): Array<Extract<DriverCall, { type: T }>> {
    return this.calls.filter((c): c is Extract<DriverCall, { type: T }> => c.type === type);
  }

  /** Every task launched so far. */
  launched(): TaskSpec[] {
    return this.callsOf('ACCEPT').flatMap((c) => c.tasks);
  }

  clear(): void {
    this.calls.length = 0;
  }

  private async record(call: DriverCall, reply: () => CallReply | Promise<CallReply> = () => ({ ok: true })): Promise<CallReply> {
    if (this.state !== 'subscribed') throw new UnavailableError(`cannot send ${call.type}: the driver is ${this.state}`);
    this.calls.push(call);
    return reply();
  }
}

function ids(offers: OfferRefs): string[] {
  const list: ReadonlyArray<Offer | string> = typeof offers === 'string' || !Array.isArray(offers) ? [offers as Offer | string] : offers;
  return list.map((o) => (typeof o === 'string' ? o : o.id));
}

/** A status update as the master would forward it (with a uuid unless `fromMaster`). */
export function statusOf(task: Pick<TaskSpec, 'taskId' | 'agentId'>, state: TaskStatus['state'], extra: Partial<TaskStatus> = {}): TaskStatus {
  return { taskId: task.taskId, frameworkId: 'framework-1', agentId: task.agentId, state, timestamp: Date.now(), source: 'SOURCE_EXECUTOR', uuid: `u-${Math.random()}`, ...extra };
}
