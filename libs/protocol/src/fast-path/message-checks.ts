import { hasOnlyKeys, isArrayOf, isId, isInt, isNumber, isPlainObject, isString, oneOf } from './fast-path';
import { isAgentStatus, isTaskInfo, isTaskSpec, isTaskStatus } from './task-checks';

/**
 * Fast checks of the launch path's messages, each attached to its schema where the schema is
 * defined (withFastPath). Only the hot forms are known here; any other message, or any field a
 * check does not know, goes through zod. MAX (1000) is MAX_BATCH_ITEMS / MAX_SCHEDULER_BATCH.
 */
const MAX = 1000;

const STATUS_UPDATE_KEYS = new Set(['agentId', 'status', 'statuses']);

/** statusUpdateMessageSchema */
export function isStatusUpdateMessage(value: unknown): boolean {
  if (!isPlainObject(value) || !hasOnlyKeys(value, STATUS_UPDATE_KEYS) || !isId(value.agentId) || !oneOf(value, 'status', 'statuses')) return false;
  return value.status !== undefined ? isAgentStatus(value.status) : isArrayOf(value.statuses, 1, MAX, isAgentStatus);
}

const ACK_KEYS = new Set(['taskId', 'uuid']);
const STATUS_ACK_KEYS = new Set(['epoch', 'taskId', 'uuid', 'acks']);
const isAck = (value: unknown): boolean => isPlainObject(value) && hasOnlyKeys(value, ACK_KEYS) && isId(value.taskId) && isString(value.uuid, 1, 64);

/** statusAckMessageSchema */
export function isStatusAckMessage(value: unknown): boolean {
  if (!isPlainObject(value) || !hasOnlyKeys(value, STATUS_ACK_KEYS) || !isInt(value.epoch)) return false;
  if (value.acks === undefined) return isId(value.taskId) && isString(value.uuid, 1, 64);
  return value.taskId === undefined && value.uuid === undefined && isArrayOf(value.acks, 1, MAX, isAck);
}

const LAUNCH_KEYS = new Set(['epoch', 'frameworkId', 'tasks', 'groups']);
const isGroup = (value: unknown): boolean => isArrayOf(value, 1, 1000, isTaskInfo);

/** launchTasksMessageSchema */
export function isLaunchTasksMessage(value: unknown): boolean {
  if (!isPlainObject(value) || !hasOnlyKeys(value, LAUNCH_KEYS) || !isInt(value.epoch) || !isId(value.frameworkId) || !oneOf(value, 'tasks', 'groups')) return false;
  return value.tasks !== undefined ? isGroup(value.tasks) : isArrayOf(value.groups, 1, MAX, isGroup);
}

const ACKNOWLEDGEMENT_KEYS = new Set(['agentId', 'taskId', 'uuid']);
const isAcknowledgement = (value: unknown): boolean =>
  isPlainObject(value) && hasOnlyKeys(value, ACKNOWLEDGEMENT_KEYS) && isId(value.agentId) && isId(value.taskId) && isString(value.uuid, 1, 64);

const ACCEPT_CALL_KEYS = new Set(['type', 'frameworkId', 'accept']);
const ACCEPT_KEYS = new Set(['offerIds', 'operations', 'filters']);
const FILTERS_KEYS = new Set(['refuseSeconds']);
const ACKNOWLEDGE_CALL_KEYS = new Set(['type', 'frameworkId', 'acknowledge', 'acknowledgements']);

/** schedulerCallSchema: ACCEPT with LAUNCH and LAUNCH_GROUP operations, and ACKNOWLEDGE. */
export function isHotSchedulerCall(value: unknown): boolean {
  if (!isPlainObject(value) || !isId(value.frameworkId)) return false;
  if (value.type === 'ACKNOWLEDGE') {
    if (!hasOnlyKeys(value, ACKNOWLEDGE_CALL_KEYS) || !oneOf(value, 'acknowledge', 'acknowledgements')) return false;
    return value.acknowledge !== undefined ? isAcknowledgement(value.acknowledge) : isArrayOf(value.acknowledgements, 1, MAX, isAcknowledgement);
  }
  if (value.type !== 'ACCEPT' || !hasOnlyKeys(value, ACCEPT_CALL_KEYS)) return false;
  const accept = value.accept;
  if (!isPlainObject(accept) || !hasOnlyKeys(accept, ACCEPT_KEYS)) return false;
  const filters = accept.filters;
  if (filters !== undefined && !(isPlainObject(filters) && hasOnlyKeys(filters, FILTERS_KEYS) && isNumber(filters.refuseSeconds, 0, 365 * 24 * 3600))) return false;
  return isArrayOf(accept.offerIds, 1, 10_000, isId) && isArrayOf(accept.operations, 0, 1000, isLaunchOperation);
}

const LAUNCH_OPERATION_KEYS = new Set(['type', 'launch']);
const LAUNCH_GROUP_OPERATION_KEYS = new Set(['type', 'launchGroup']);
const TASK_INFOS_KEYS = new Set(['taskInfos']);
const TASK_GROUP_KEYS = new Set(['taskGroup']);
const TASKS_KEYS = new Set(['tasks']);

function isLaunchOperation(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  if (value.type === 'LAUNCH') {
    const launch = value.launch;
    return hasOnlyKeys(value, LAUNCH_OPERATION_KEYS) && isPlainObject(launch) && hasOnlyKeys(launch, TASK_INFOS_KEYS) && isArrayOf(launch.taskInfos, 1, 1000, isTaskSpec);
  }
  if (value.type !== 'LAUNCH_GROUP' || !hasOnlyKeys(value, LAUNCH_GROUP_OPERATION_KEYS)) return false;
  const launchGroup = value.launchGroup;
  if (!isPlainObject(launchGroup) || !hasOnlyKeys(launchGroup, TASK_GROUP_KEYS)) return false;
  const group = launchGroup.taskGroup;
  return isPlainObject(group) && hasOnlyKeys(group, TASKS_KEYS) && isArrayOf(group.tasks, 1, 1000, isTaskSpec);
}

const UPDATE_EVENT_KEYS = new Set(['type', 'epoch', 'update', 'updates']);
const UPDATE_KEYS = new Set(['status']);
const isUpdate = (value: unknown): boolean => isPlainObject(value) && hasOnlyKeys(value, UPDATE_KEYS) && isTaskStatus(value.status);

/** schedulerEventSchema: UPDATE events. */
export function isHotSchedulerEvent(value: unknown): boolean {
  if (!isPlainObject(value) || value.type !== 'UPDATE' || !hasOnlyKeys(value, UPDATE_EVENT_KEYS) || !isInt(value.epoch) || !oneOf(value, 'update', 'updates')) return false;
  return value.update !== undefined ? isUpdate(value.update) : isArrayOf(value.updates, 1, MAX, isUpdate);
}

/** schedulerCallReplySchema and okReplySchema: the plain `{ok: true}` of most calls. */
export function isPlainOkReply(value: unknown): boolean {
  if (!isPlainObject(value) || value.ok !== true) return false;
  for (const key in value) if (key !== 'ok') return false;
  return true;
}
