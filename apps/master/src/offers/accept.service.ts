import { Inject, Injectable } from '@nestjs/common';
import { ConflictError, createLogger, describeError, type Clock } from '@pando/common';
import type { SchedulerCallParsed, SchedulerCallReply, TaskInfo, TaskStatus } from '@pando/protocol';
import { Resources } from '@pando/resources';
import type { Allocator } from '../allocation';
import { AgentMessenger } from '../agents/agent-messenger.service';
import { AgentRegistry } from '../agents/agent-registry.service';
import type { FrameworkRecord } from '../frameworks/framework.record';
import { UpdateForwarder } from '../frameworks/update-forwarder.service';
import { ALLOCATOR, CLOCK } from '../master.tokens';
import { TaskTable } from '../tasks/task-table.service';
import { planOperations, type RefusedOperation, type RefusedTask } from './launch-plan';
import type { OfferRecord } from './offer.record';
import { OfferService, type RefusedOffer } from './offer.service';
import type { Conversion } from './reservation-plan';
import { TaskLedger } from './task-ledger.service';

type AcceptCall = Extract<SchedulerCallParsed, { type: 'ACCEPT' }>['accept'];

export interface AcceptResult {
  refusedOffers: RefusedOffer[];
  launched: number;
  refusedTasks: number;
  /** RESERVE/UNRESERVE operations that were refused (and changed nothing). */
  refusedOperations: RefusedOperation[];
}

/** The ACCEPT call's reply: ok, with the offers and operations that were refused, if any. */
export function acceptReply(result: AcceptResult): SchedulerCallReply {
  const reply: Extract<SchedulerCallReply, { ok: true }> = { ok: true };
  if (result.refusedOffers.length > 0) reply.refusedOffers = result.refusedOffers;
  if (result.refusedOperations.length > 0) {
    reply.refusedOperations = result.refusedOperations.map(({ index, type, error }) => ({ index, type, error: error.toJson() }));
  }
  return reply;
}

/**
 * ACCEPT: offers that are not outstanding (or not the framework's) are refused one by one and the
 * rest are used. The operations are checked in order against the offers used (see
 * planOperations): reservations change the allocator's books and the agent's record, good tasks
 * are launched (STAGING, sent to the agent), bad ones get a master-made update, bad RESERVE or
 * UNRESERVE operations are refused in the reply, and whatever the offers hold that no operation
 * took goes back to the allocator with the ACCEPT's filters.
 */
@Injectable()
export class AcceptService {
  private readonly log = createLogger('accept');

  constructor(
    private readonly offers: OfferService,
    private readonly agents: AgentRegistry,
    private readonly tasks: TaskTable,
    private readonly ledger: TaskLedger,
    private readonly messenger: AgentMessenger,
    private readonly forwarder: UpdateForwarder,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ALLOCATOR) private readonly allocator: Allocator,
  ) {}

  accept(framework: FrameworkRecord, accept: AcceptCall): AcceptResult {
    const { offers, refused } = this.offers.take(framework.id, accept.offerIds);
    const specs = accept.operations.flatMap((op) => (op.type === 'LAUNCH' ? op.launch.taskInfos : op.type === 'LAUNCH_GROUP' ? op.launchGroup.taskGroup.tasks : []));
    const invalid = this.offersProblem(offers);
    if (invalid) {
      for (const offer of offers) this.offers.recover(framework.id, offer.agentId, offer.resources);
      const state = framework.partitionAware ? 'DROPPED' : 'LOST';
      this.refuse(framework, specs.map((spec) => ({ taskId: spec.taskId, agentId: spec.agentId, state, reason: 'REASON_INVALID_OFFERS', message: invalid })));
      const refusedOperations = accept.operations.flatMap((op, index) =>
        op.type === 'RESERVE' || op.type === 'UNRESERVE' ? [{ index, type: op.type, error: new ConflictError(`${op.type} refused: ${invalid}`) }] : [],
      );
      return { refusedOffers: refused, launched: 0, refusedTasks: specs.length, refusedOperations };
    }
    const agentId = offers[0]!.agentId;
    const agent = this.agents.get(agentId)!;
    const remaining = Resources.empty();
    const offeredByRole = new Map<string, Resources>();
    for (const offer of offers) {
      remaining.addInPlace(offer.resources);
      const inRole = offeredByRole.get(offer.role) ?? Resources.empty();
      offeredByRole.set(offer.role, inRole.addInPlace(offer.resources));
    }
    const plan = planOperations(accept.operations, {
      frameworkId: framework.id,
      framework: { id: framework.id, roles: framework.roles, principal: framework.info.principal },
      agentId,
      executors: agent.info.executors,
      remaining,
      offeredByRole,
      reservations: Resources.empty().addInPlace(agent.dynamicReservations),
      taskIdInUse: (taskId) => this.tasks.get(taskId) !== undefined,
    });
    this.convert(framework, agentId, plan.conversions);
    const now = this.clock.now();
    let launched = 0;
    const groups: TaskInfo[][] = [];
    for (const group of plan.groups) {
      for (const { info, resources } of group) this.ledger.launched(this.tasks.addLaunched(info, now, resources));
      groups.push(group.map((task) => task.info));
      launched += group.length;
    }
    // One message for the whole ACCEPT (each group still all-or-none on the agent), not one per task.
    this.messenger.launchGroups(agentId, framework.id, groups);
    this.offers.recover(framework.id, agentId, remaining, accept.filters ?? { refuseSeconds: 5 });
    this.refuse(framework, plan.refused.map((task) => ({ ...task, agentId })));
    for (const { index, error } of plan.refusedOperations) this.log.info({ frameworkId: framework.id, agentId, index, problems: error.details }, error.message);
    if (this.log.isLevelEnabled('debug')) this.log.debug({ frameworkId: framework.id, agentId, offers: offers.length, launched, refused: plan.refused.length }, 'accepted offers');
    return { refusedOffers: refused, launched, refusedTasks: plan.refused.length, refusedOperations: plan.refusedOperations };
  }

  /**
   * Books RESERVE/UNRESERVE in the allocator (the offered resources change in the framework's
   * allocation and in the agent's total) and in the agent's reservation list, in order.
   */
  private convert(framework: FrameworkRecord, agentId: string, conversions: readonly Conversion[]): void {
    if (conversions.length === 0) return;
    const agent = this.agents.get(agentId)!;
    const reservations = Resources.empty().addInPlace(agent.dynamicReservations);
    for (const conversion of conversions) {
      const { type, from, to, role } = conversion;
      try {
        this.allocator.updateAllocation(framework.id, agentId, from, to, role);
      } catch (err) {
        // Cannot happen when the offers are the framework's allocation; if it does, the books win.
        this.log.error({ frameworkId: framework.id, agentId, type, err: describeError(err) }, `${type} of '${to.toString()}' not booked: ${describeError(err)}`);
        continue;
      }
      if (type === 'RESERVE') reservations.addInPlace(to);
      else reservations.subtractInPlace(from);
      this.log.info({ frameworkId: framework.id, agentId, role }, `${type === 'RESERVE' ? 'reserved' : 'unreserved'} '${from.toString()}' on agent ${agentId}${type === 'RESERVE' ? ` for role '${role}'` : ''}`);
    }
    this.agents.setDynamicReservations(agentId, reservations);
  }

  /** Why the usable offers cannot carry tasks (none left, or several agents), if they cannot. */
  private offersProblem(offers: readonly OfferRecord[]): string | undefined {
    if (offers.length === 0) return 'none of the offers is outstanding';
    const agentIds = new Set(offers.map((offer) => offer.agentId));
    if (agentIds.size > 1) return `the offers are for several agents (${[...agentIds].join(', ')}); one ACCEPT uses offers of one agent`;
    const agent = this.agents.get(offers[0]!.agentId);
    if (!agent || !agent.active) return `agent ${offers[0]!.agentId} is not active`;
    return undefined;
  }

  /** Master-made updates (no uuid, nothing to acknowledge) for tasks that will not run. */
  private refuse(framework: FrameworkRecord, tasks: ReadonlyArray<RefusedTask & { agentId: string }>): void {
    const now = this.clock.now();
    for (const task of tasks) {
      const status: TaskStatus = {
        taskId: task.taskId,
        frameworkId: framework.id,
        agentId: task.agentId,
        state: task.state,
        timestamp: now,
        source: 'SOURCE_MASTER',
        reason: task.reason,
        message: task.message,
      };
      this.forwarder.sendMasterUpdate(framework, status);
    }
    if (tasks.length > 0) this.log.info({ frameworkId: framework.id, tasks: tasks.map((t) => t.taskId) }, `refused ${tasks.length} tasks: ${tasks[0]!.message}`);
  }
}
