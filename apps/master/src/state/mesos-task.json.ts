import type { TaskRecord } from '../tasks/task.record';

/** A task as Mesos's /master/state shows it. */
export interface MesosTaskJson {
  id: string;
  name: string;
  framework_id: string;
  executor_id: string;
  slave_id: string;
  state: string;
  resources: Record<string, number | string>;
  statuses: MesosStatusJson[];
  labels?: Array<{ key: string; value: string }>;
  healthy?: boolean;
}

/** One entry of a task's status history; `reason` and `message` only when the update had them. */
export interface MesosStatusJson {
  state: string;
  timestamp: number;
  healthy?: boolean;
  reason?: string;
  message?: string;
}

/** Mesos reports times as seconds since the epoch, with a fraction. */
export function seconds(ms: number): number {
  return ms / 1000;
}

export function mesosTaskJson(task: TaskRecord): MesosTaskJson {
  const json: MesosTaskJson = {
    id: task.id,
    name: task.info.name,
    framework_id: task.frameworkId,
    // Command tasks have no executor of their own in Mesos either.
    executor_id: '',
    slave_id: task.agentId,
    state: `TASK_${task.state}`,
    resources: task.resourcesStateJson(),
    statuses: task.statuses.map(mesosStatusJson),
  };
  if (task.info.labels) json.labels = Object.entries(task.info.labels).map(([key, value]) => ({ key, value }));
  if (task.healthy !== undefined) json.healthy = task.healthy;
  return json;
}

function mesosStatusJson(entry: TaskRecord['statuses'][number]): MesosStatusJson {
  const json: MesosStatusJson = { state: `TASK_${entry.state}`, timestamp: seconds(entry.timestamp) };
  if (entry.healthy !== undefined) json.healthy = entry.healthy;
  if (entry.reason !== undefined) json.reason = entry.reason;
  if (entry.message !== undefined) json.message = entry.message;
  return json;
}
