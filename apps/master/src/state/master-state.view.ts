import { Injectable, Optional } from '@nestjs/common';
import { OPERATOR_FRAMEWORK_ID } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { OfferBook } from '../offers/offer-book.service';
import { AgentRegistry } from '../agents/agent-registry.service';
import type { AgentRecord } from '../agents/agent.record';
import { MasterIdentity } from '../identity/master-identity';
import { MASTER_VERSION } from '../identity/master-version';
import { TaskTable } from '../tasks/task-table.service';
import type { TaskRecord } from '../tasks/task.record';
import { FrameworksStateView } from './frameworks-state.view';
import { mesosTaskJson, seconds, type MesosTaskJson } from './mesos-task.json';
import { RolesStateView } from './roles-state.view';

type StateResources = Readonly<Record<string, number | string>>;

// Shown for an agent or framework with nothing offered.
const NO_RESOURCES: StateResources = Object.freeze(Resources.empty().toStateJson());

/**
 * /master/state in the shape of Apache Mesos's, so that existing tools and UIs read it.
 * Snake_case and seconds are Mesos's; everything is built from cached per-agent JSON so that
 * 10,000 agents serialise in a few tens of milliseconds.
 */
@Injectable()
export class MasterStateView {
  constructor(
    private readonly identity: MasterIdentity,
    private readonly registry: AgentRegistry,
    private readonly tasks: TaskTable,
    // Optional so that the agents-only view (and its spec) works without the frameworks layer.
    @Optional() private readonly offers?: OfferBook,
    @Optional() private readonly frameworks?: FrameworksStateView,
    @Optional() private readonly roles?: RolesStateView,
  ) {}

  build(): Record<string, unknown> {
    const id = this.identity;
    const elected = id.electedTime;
    const leader = id.leaderInfo;
    return {
      version: MASTER_VERSION,
      id: id.masterId,
      pid: id.pid,
      hostname: id.hostname,
      start_time: seconds(id.startTime),
      ...(elected === undefined ? {} : { elected_time: seconds(elected) }),
      ...(leader ? { leader: leader.pid, leader_info: { id: leader.masterId, pid: leader.pid, hostname: leader.hostname, port: leader.port } } : {}),
      activated_slaves: this.registry.activeCount,
      deactivated_slaves: this.registry.size - this.registry.activeCount,
      unreachable_slaves: this.registry.unreachableCount,
      slaves: Array.from(this.registry.values(), (agent) => this.slaveJson(agent)),
      // Mesos's field: agents a new leader knows from the registry, not re-registered yet.
      recovered_slaves: Array.from(this.registry.recoveredAgents(), (agent) => ({
        id: agent.id,
        hostname: agent.info.hostname,
        port: agent.info.httpPort ?? 0,
        registered_time: seconds(agent.registeredTime),
        resources: agent.totals.toStateJson(),
      })),
      ...(this.frameworks ? this.frameworks.build() : { frameworks: this.frameworksJson(), completed_frameworks: [] }),
      ...(this.roles ? { roles: this.roles.build() } : {}),
      orphan_tasks: [],
      unregistered_frameworks: [],
    };
  }

  private slaveJson(agent: AgentRecord): Record<string, unknown> {
    const { info } = agent;
    const port = info.httpPort ?? 0;
    const totals = agent.stateJson();
    return {
      id: agent.id,
      pid: `slave(1)@${info.hostname}:${port}`,
      hostname: info.hostname,
      port,
      attributes: info.attributes,
      registered_time: seconds(agent.registeredTime),
      ...(agent.reregisteredTime === undefined ? {} : { reregistered_time: seconds(agent.reregisteredTime) }),
      active: agent.active,
      version: info.version,
      resources: totals.resources,
      used_resources: this.tasks.usedStateJsonOn(agent.id),
      offered_resources: this.offeredOn(agent.id),
      reserved_resources: totals.reserved,
      reserved_resources_full: totals.reservedFull,
      unreserved_resources: totals.unreserved,
      capabilities: [],
      executors: info.executors,
    };
  }

  private offeredOn(agentId: string): StateResources {
    if (!this.offers || this.offers.ofAgent(agentId).size === 0) return NO_RESOURCES;
    return this.offers.offeredOnAgent(agentId).toStateJson();
  }

  /** Without the frameworks layer: frameworks known from their tasks (live or completed). */
  private frameworksJson(): Array<Record<string, unknown>> {
    const completed = new Map<string, MesosTaskJson[]>();
    for (const task of this.tasks.completedTasks()) pushTo(completed, task);
    const ids = new Set<string>([...this.tasks.liveFrameworkIds(), ...completed.keys()]);
    return Array.from(ids, (frameworkId) => {
      const used = this.tasks.usedStateJsonOf(frameworkId);
      return {
        id: frameworkId,
        name: frameworkId === OPERATOR_FRAMEWORK_ID ? 'operator' : frameworkId,
        active: true,
        role: '*',
        hostname: this.identity.hostname,
        user: '',
        webui_url: '',
        capabilities: [],
        resources: used,
        used_resources: used,
        offered_resources: NO_RESOURCES,
        tasks: Array.from(this.tasks.tasksOfFramework(frameworkId), mesosTaskJson),
        unreachable_tasks: [],
        completed_tasks: completed.get(frameworkId) ?? [],
        offers: [],
        executors: [],
        completed_executors: [],
      };
    });
  }
}

function pushTo(byFramework: Map<string, MesosTaskJson[]>, task: TaskRecord): void {
  let list = byFramework.get(task.frameworkId);
  if (!list) {
    list = [];
    byFramework.set(task.frameworkId, list);
  }
  list.push(mesosTaskJson(task));
}
