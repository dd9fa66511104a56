import { Inject, Injectable } from '@nestjs/common';
import { createLogger } from '@pando/common';
import { OPERATOR_FRAMEWORK_ID } from '@pando/protocol';
import { Resources } from '@pando/resources';
import type { Allocator } from '../allocation';
import type { AgentObserver } from '../agents/agent.observer';
import type { AgentRecord } from '../agents/agent.record';
import type { Admission } from '../agents/agent-registry.service';
import { AgentMessenger } from '../agents/agent-messenger.service';
import { AgentRegistry } from '../agents/agent-registry.service';
import { dynamicallyReserved } from '../agents/dynamic-reservations';
import { FrameworkLifecycle } from '../frameworks/framework-lifecycle.service';
import { FrameworkRegistry } from '../frameworks/framework-registry.service';
import { ALLOCATOR } from '../master.tokens';
import type { TaskStatePolicy } from '../tasks/task-state.policy';
import { TaskTable } from '../tasks/task-table.service';
import type { TaskRecord } from '../tasks/task.record';
import { AllocationTrigger } from './allocation-trigger';
import { OfferService } from './offer.service';
import { TaskLedger } from './task-ledger.service';

/**
 * Keeps the allocator's agents in step with the registry (the AGENT_OBSERVER). A new agent is
 * added whole. A re-registering one (back from unreachable, restarted, or unknown to this master
 * after its restart) is rebuilt from what it reports: its offers are rescinded, it is removed and
 * added again with its new total, and the resources of each task it runs are booked to the
 * task's framework, so the allocator's view of the agent is exactly what the task table says.
 * An unreachable agent is deactivated (its tasks keep their resources) and its offers rescinded.
 */
@Injectable()
export class AgentAllocationObserver implements AgentObserver, TaskStatePolicy {
  private readonly log = createLogger('agent-allocation');
  /** Agents admitted but not yet heard from since: kept out of allocation. */
  private readonly awaitingHeartbeat = new Set<string>();

  constructor(
    @Inject(ALLOCATOR) private readonly allocator: Allocator,
    private readonly offers: OfferService,
    private readonly ledger: TaskLedger,
    private readonly tasks: TaskTable,
    private readonly frameworks: FrameworkRegistry,
    private readonly lifecycle: FrameworkLifecycle,
    private readonly messenger: AgentMessenger,
    private readonly trigger: AllocationTrigger,
    private readonly agents: AgentRegistry,
  ) {}

  /** GONE for partition-aware frameworks, LOST for the others (Mesos's compatibility rule). */
  readonly missingTaskState = (task: TaskRecord): 'LOST' | 'GONE' => (this.frameworks.get(task.frameworkId)?.partitionAware ? 'GONE' : 'LOST');

  agentAdmitted({ agent, kind }: Admission): void {
    const info = { hostname: agent.info.hostname, attributes: agent.info.attributes };
    if (kind !== 'registered') {
      this.offers.rescindAgent(agent.id, 'agent re-registered');
      this.allocator.removeAgent(agent.id);
      this.ledger.forgetAgent(agent.id);
    }
    this.keepReservationsInUse(agent);
    this.allocator.addAgent(agent.id, agent.resources, info);
    // Not offered until its first heartbeat after (re-)registering: a new agent subscribes to its
    // inbox only once it knows its id, and NATS orders that subscription before the agent's next
    // heartbeat on the same connection. A launch sent earlier could be lost.
    this.allocator.deactivateAgent(agent.id);
    this.awaitingHeartbeat.add(agent.id);
    let booked = 0;
    for (const task of [...this.tasks.tasksOnAgent(agent.id)]) if (this.book(task)) booked++;
    if (booked > 0) this.log.info({ agentId: agent.id, tasks: booked }, `booked the resources of ${booked} running tasks on agent ${agent.id}`);
    this.trigger.trigger();
  }

  /**
   * A task running on dynamically reserved resources proves the reservation exists: one this
   * master does not have on record (it restarted, and reservations are not persisted yet) is
   * recorded again, so the task is accounted on the reserved resources it uses. Reservations the
   * agent's reported totals no longer hold are logged: they apply again when it has room.
   */
  private keepReservationsInUse(agent: AgentRecord): void {
    const used = Resources.empty();
    for (const task of this.tasks.tasksOnAgent(agent.id)) used.addInPlace(dynamicallyReserved(task.resources));
    const missing = used.subtract(agent.dynamicReservations);
    if (!missing.isEmpty()) {
      this.agents.setDynamicReservations(agent.id, agent.dynamicReservations.add(missing));
      this.log.info({ agentId: agent.id }, `recorded the dynamic reservations '${missing.toString()}' that tasks on agent ${agent.id} use`);
    }
    const unapplied = agent.unappliedReservations;
    if (!unapplied.isEmpty()) {
      this.log.warn({ agentId: agent.id }, `agent ${agent.id} reports too little to hold its dynamic reservations '${unapplied.toString()}': they are left out until it has room`);
    }
  }

  agentUnreachable(agent: AgentRecord): void {
    this.offers.rescindAgent(agent.id, 'agent unreachable');
    this.allocator.deactivateAgent(agent.id);
    this.awaitingHeartbeat.delete(agent.id);
  }

  agentHeartbeat(agentId: string): void {
    if (!this.awaitingHeartbeat.delete(agentId)) return;
    this.allocator.activateAgent(agentId);
    this.trigger.trigger();
  }

  /** Books a running task to its framework, recovering the framework or killing the task as needed. */
  private book(task: TaskRecord): boolean {
    if (task.resources.isEmpty()) return false;
    const frameworkId = task.frameworkId;
    let holder = frameworkId;
    if (frameworkId === OPERATOR_FRAMEWORK_ID || this.frameworks.get(frameworkId)) holder = frameworkId;
    else if (this.frameworks.getRemoved(frameworkId)) {
      // Its framework is gone (its kill never reached the agent): kill it now; it holds its
      // resources (booked to the operator) until it ends.
      this.messenger.kill(task.agentId, frameworkId, task.id, task.info.killGracePeriodMs);
      this.log.warn({ taskId: task.id, frameworkId }, `killing task '${task.id}' of removed framework ${frameworkId}`);
      holder = OPERATOR_FRAMEWORK_ID;
    } else {
      this.lifecycle.recover(frameworkId);
    }
    return this.ledger.track(task, holder);
  }
}
