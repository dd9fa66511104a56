import { Inject, Injectable } from '@nestjs/common';
import { createLogger, NotSupportedError, type Clock } from '@pando/common';
import type { SchedulerCallParsed, TaskStatus } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { AgentMessenger } from '../agents/agent-messenger.service';
import { AgentRegistry } from '../agents/agent-registry.service';
import type { FrameworkRecord } from '../frameworks/framework.record';
import { UpdateForwarder } from '../frameworks/update-forwarder.service';
import { CLOCK } from '../master.tokens';
import { TaskTable } from '../tasks/task-table.service';
import { planLaunches, unsupportedOperations, type RefusedTask } from './launch-plan';
import type { OfferRecord } from './offer.record';
import { OfferService, type RefusedOffer } from './offer.service';
import { TaskLedger } from './task-ledger.service';

type AcceptCall = Extract<SchedulerCallParsed, { type: 'ACCEPT' }>['accept'];

export interface AcceptResult {
  refusedOffers: RefusedOffer[];
  launched: number;
  refusedTasks: number;
}

/**
 * ACCEPT: offers that are not outstanding (or not the framework's) are refused one by one and the
 * rest are used. The tasks are checked against the offers used (see planLaunches); good ones
 * are launched (STAGING, sent to the agent), bad ones get a master-made update, and whatever the
 * offers hold that no task took goes back to the allocator with the ACCEPT's filters.
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
  ) {}

  accept(framework: FrameworkRecord, accept: AcceptCall): AcceptResult {
    const unsupported = unsupportedOperations(accept.operations);
    if (unsupported.length > 0) {
      // Refused before anything changed: the offers stay outstanding.
      throw new NotSupportedError(`ACCEPT refused: operations ${[...new Set(unsupported)].join(', ')} are not supported yet (dynamic reservations come later)`);
    }
    const { offers, refused } = this.offers.take(framework.id, accept.offerIds);
    const specs = accept.operations.flatMap((op) => (op.type === 'LAUNCH' ? op.launch.taskInfos : op.type === 'LAUNCH_GROUP' ? op.launchGroup.taskGroup.tasks : []));
    const invalid = this.offersProblem(offers);
    if (invalid) {
      for (const offer of offers) this.offers.recover(framework.id, offer.agentId, offer.resources);
      const state = framework.partitionAware ? 'DROPPED' : 'LOST';
      this.refuse(framework, specs.map((spec) => ({ taskId: spec.taskId, agentId: spec.agentId, state, reason: 'REASON_INVALID_OFFERS', message: invalid })));
      return { refusedOffers: refused, launched: 0, refusedTasks: specs.length };
    }
    const agentId = offers[0]!.agentId;
    const agent = this.agents.get(agentId)!;
    const remaining = Resources.empty();
    for (const offer of offers) remaining.addInPlace(offer.resources);
    const plan = planLaunches(accept.operations, {
      frameworkId: framework.id,
      agentId,
      executors: agent.info.executors,
      remaining,
      taskIdInUse: (taskId) => this.tasks.get(taskId) !== undefined,
    });
    const now = this.clock.now();
    let launched = 0;
    for (const group of plan.groups) {
      for (const { info, resources } of group) this.ledger.launched(this.tasks.addLaunched(info, now, resources));
      this.messenger.launch(agentId, framework.id, group.map((task) => task.info));
      launched += group.length;
    }
    this.offers.recover(framework.id, agentId, remaining, accept.filters ?? { refuseSeconds: 5 });
    this.refuse(framework, plan.refused.map((task) => ({ ...task, agentId })));
    this.log.debug({ frameworkId: framework.id, agentId, offers: offers.length, launched, refused: plan.refused.length }, 'accepted offers');
    return { refusedOffers: refused, launched, refusedTasks: plan.refused.length };
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
