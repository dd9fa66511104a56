import { isValidResourceName, isValidRole, MAX_SCALAR } from '@pando/resources';
import { TASK_REASONS, TASK_STATES } from '../task-state';
import {
  hasOnlyKeys,
  isArrayOf,
  isId,
  isInt,
  isNumber,
  isOptionalString,
  isPlainObject,
  isString,
  isStringRecord,
} from './fast-path';

/**
 * Fast checks of the parts of tasks that every launch and status update carries; see fast-path.ts
 * for the rule (valid and unchanged by the schema, or left to zod). Each names the schema it mirrors.
 */

const SCALAR_RESOURCE_KEYS = new Set(['name', 'type', 'scalar', 'role']);
const SCALAR_KEYS = new Set(['value']);

/** resourceJsonSchema, SCALAR resources without a reservation only (ranges, sets and the rest go to zod). */
export function isScalarResource(value: unknown): boolean {
  if (!isPlainObject(value) || !hasOnlyKeys(value, SCALAR_RESOURCE_KEYS)) return false;
  const { name, type, scalar, role } = value;
  if (type !== 'SCALAR' || typeof name !== 'string' || !isValidResourceName(name)) return false;
  if (role !== undefined && (typeof role !== 'string' || !isValidRole(role))) return false;
  return isPlainObject(scalar) && hasOnlyKeys(scalar, SCALAR_KEYS) && isNumber(scalar.value, 0, MAX_SCALAR);
}

/** resourcesJsonSchema (all scalar: one name cannot be of two kinds then). */
export function isScalarResources(value: unknown): boolean {
  return isArrayOf(value, 0, Number.MAX_SAFE_INTEGER, isScalarResource);
}

const COMMAND_KEYS = new Set(['value', 'shell', 'arguments', 'env', 'user']);
const isArgument = (value: unknown): boolean => isString(value, 0, 65536);

/** commandSpecSchema, with `shell` given (its default is the schema's to fill in). */
export function isCommand(value: unknown): boolean {
  if (!isPlainObject(value) || !hasOnlyKeys(value, COMMAND_KEYS)) return false;
  const { value: line, shell, arguments: args, env, user } = value;
  if (typeof shell !== 'boolean' || !isOptionalString(line, 1, 65536) || !isOptionalString(user, 1, 64)) return false;
  if (args !== undefined && !isArrayOf(args, 0, 1000, isArgument)) return false;
  return env === undefined || isStringRecord(env, 1, 256, 65536);
}

const SPEC_KEYS = new Set(['taskId', 'name', 'agentId', 'resources', 'executor', 'command', 'killGracePeriodMs', 'labels', 'data']);
const INFO_KEYS = new Set([...SPEC_KEYS, 'frameworkId']);

function isTaskBody(value: Record<string, unknown>): boolean {
  const { taskId, name, agentId, resources, executor, command, killGracePeriodMs, labels, data } = value;
  if (!isId(taskId) || !isString(name, 1, 512) || !isId(agentId) || !isString(executor, 1, 64)) return false;
  if (killGracePeriodMs !== undefined && !isInt(killGracePeriodMs, 0, 3_600_000)) return false;
  if (!isOptionalString(data, 0, 1_048_576)) return false;
  if (labels !== undefined && !isStringRecord(labels, 0, 256, 4096)) return false;
  if (command !== undefined && !isCommand(command)) return false;
  return isScalarResources(resources);
}

/** taskSpecSchema (a task in LAUNCH), with `executor` given and without container or health check. */
export function isTaskSpec(value: unknown): boolean {
  return isPlainObject(value) && hasOnlyKeys(value, SPEC_KEYS) && isTaskBody(value);
}

/** taskInfoSchema (a task in a launch message), as isTaskSpec plus its framework id. */
export function isTaskInfo(value: unknown): boolean {
  return isPlainObject(value) && hasOnlyKeys(value, INFO_KEYS) && isId(value.frameworkId) && isTaskBody(value);
}

const STATES: ReadonlySet<unknown> = new Set(TASK_STATES);
const REASONS: ReadonlySet<unknown> = new Set(TASK_REASONS);
const SOURCES: ReadonlySet<unknown> = new Set(['SOURCE_MASTER', 'SOURCE_AGENT', 'SOURCE_EXECUTOR']);
const STATUS_KEYS = new Set(['taskId', 'frameworkId', 'agentId', 'state', 'uuid', 'timestamp', 'source', 'reason', 'message', 'healthy', 'exitCode', 'data']);

/** taskStatusSchema; with `uuidRequired`, the agents' form of it (agentStatusSchema). */
export function isTaskStatus(value: unknown, uuidRequired = false): boolean {
  if (!isPlainObject(value) || !hasOnlyKeys(value, STATUS_KEYS)) return false;
  const { taskId, frameworkId, agentId, state, uuid, timestamp, source, reason, message, healthy, exitCode, data } = value;
  if (!isId(taskId) || !isId(frameworkId) || (agentId !== undefined && !isId(agentId))) return false;
  if (!STATES.has(state) || !SOURCES.has(source) || !isNumber(timestamp)) return false;
  if (uuidRequired ? !isString(uuid, 1, 64) : !isOptionalString(uuid, 1, 64)) return false;
  if (reason !== undefined && !REASONS.has(reason) && !isString(reason, 1, 100)) return false;
  if (!isOptionalString(message, 0, 8192) || !isOptionalString(data, 0, 1_048_576)) return false;
  if (healthy !== undefined && typeof healthy !== 'boolean') return false;
  return exitCode === undefined || isInt(exitCode);
}

export const isAgentStatus = (value: unknown): boolean => isTaskStatus(value, true);
