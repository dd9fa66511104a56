import { Injectable } from '@nestjs/common';
import { OPERATOR_FRAMEWORK_ID } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { FrameworkRegistry } from '../frameworks/framework-registry.service';
import type { FrameworkRecord } from '../frameworks/framework.record';
import { MasterIdentity } from '../identity/master-identity';
import { OfferBook } from '../offers/offer-book.service';
import type { OfferRecord } from '../offers/offer.record';
import { TaskTable } from '../tasks/task-table.service';
import { mesosTaskJson, seconds, type MesosTaskJson } from './mesos-task.json';

type Json = Record<string, unknown>;
type StateResources = Readonly<Record<string, number | string>>;

const NO_RESOURCES: StateResources = Object.freeze(Resources.empty().toStateJson());

/** An offer as Mesos's /master/state shows it. */
export function mesosOfferJson(offer: OfferRecord): Json {
  return {
    id: offer.id,
    framework_id: offer.frameworkId,
    slave_id: offer.agentId,
    resources: offer.resources.toStateJson(),
    allocation_info: { role: offer.role },
  };
}

/**
 * The `frameworks` and `completed_frameworks` of /master/state, in Mesos's shape: subscribed,
 * disconnected and recovered frameworks with their used and offered resources, offers, tasks
 * (live, unreachable, completed); the built-in operator framework; and removed frameworks.
 */
@Injectable()
export class FrameworksStateView {
  constructor(
    private readonly identity: MasterIdentity,
    private readonly registry: FrameworkRegistry,
    private readonly tasks: TaskTable,
    private readonly offers: OfferBook,
  ) {}

  build(): { frameworks: Json[]; completed_frameworks: Json[] } {
    const completed = new Map<string, MesosTaskJson[]>();
    for (const task of this.tasks.completedTasks()) push(completed, task.frameworkId, mesosTaskJson(task));
    const frameworks: Json[] = [];
    const shown = new Set<string>();
    for (const record of this.registry.values()) {
      frameworks.push(this.frameworkJson(record, completed));
      shown.add(record.id);
    }
    // Task owners without a framework record: the operator one, and ids given to operator launches.
    const owners = new Set<string>([...this.tasks.liveFrameworkIds(), ...completed.keys()]);
    for (const id of owners) {
      if (shown.has(id) || this.registry.getRemoved(id)) continue;
      frameworks.push(this.ownerJson(id, completed));
    }
    const completedFrameworks = Array.from(this.registry.removed(), (record) => this.frameworkJson(record, completed));
    return { frameworks, completed_frameworks: completedFrameworks };
  }

  private frameworkJson(record: FrameworkRecord, completed: Map<string, MesosTaskJson[]>): Json {
    const { info } = record;
    const offers = [...this.offers.ofFramework(record.id)];
    const offered = this.offers.offeredToFramework(record.id);
    return {
      id: record.id,
      name: info.name,
      pid: '',
      hostname: info.hostname ?? '',
      user: info.user ?? '',
      principal: info.principal,
      webui_url: info.webuiUrl ?? '',
      role: info.roles[0],
      roles: info.roles,
      suppressed_roles: [...record.suppressedRoles],
      active: record.active && record.listening,
      connected: record.phase === 'subscribed',
      recovered: record.phase === 'recovered',
      registered_time: seconds(record.registeredTime),
      ...(record.reregisteredTime === undefined ? {} : { reregistered_time: seconds(record.reregisteredTime) }),
      unregistered_time: record.unregisteredTime === undefined ? 0 : seconds(record.unregisteredTime),
      failover_timeout: info.failoverTimeoutSeconds,
      checkpoint: true,
      capabilities: info.capabilities,
      labels: Object.entries(info.labels ?? {}).map(([key, value]) => ({ key, value })),
      ...this.resourcesJson(record.id, offered),
      offers: offers.map(mesosOfferJson),
      ...this.tasksJson(record.id, completed),
      executors: [],
      completed_executors: [],
    };
  }

  private ownerJson(id: string, completed: Map<string, MesosTaskJson[]>): Json {
    return {
      id,
      name: id === OPERATOR_FRAMEWORK_ID ? 'operator' : id,
      active: true,
      connected: true,
      role: '*',
      roles: ['*'],
      hostname: this.identity.hostname,
      user: '',
      webui_url: '',
      capabilities: [],
      ...this.resourcesJson(id, Resources.empty()),
      offers: [],
      ...this.tasksJson(id, completed),
      executors: [],
      completed_executors: [],
    };
  }

  private resourcesJson(frameworkId: string, offered: Resources): Json {
    const used = this.tasks.usedStateJsonOf(frameworkId);
    if (offered.isEmpty()) return { resources: used, allocated_resources: used, used_resources: used, offered_resources: NO_RESOURCES };
    const total = offered.add(this.tasks.usedOf(frameworkId)).toStateJson();
    return { resources: total, allocated_resources: total, used_resources: used, offered_resources: offered.toStateJson() };
  }

  /**
   * Live tasks; the UNREACHABLE ones are also listed under unreachable_tasks as in Mesos (and kept
   * in `tasks` too, where Pando's tools have always looked for every live task).
   */
  private tasksJson(frameworkId: string, completed: Map<string, MesosTaskJson[]>): Json {
    const tasks: MesosTaskJson[] = [];
    const unreachable: MesosTaskJson[] = [];
    for (const task of this.tasks.tasksOfFramework(frameworkId)) {
      const json = mesosTaskJson(task);
      tasks.push(json);
      if (task.state === 'UNREACHABLE') unreachable.push(json);
    }
    return { tasks, unreachable_tasks: unreachable, completed_tasks: completed.get(frameworkId) ?? [] };
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
