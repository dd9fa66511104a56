import type { InputError } from '@pando/common';
import type { SchedulerCallParsed, TaskInfo, TaskReason, TaskState } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { planReserve, planUnreserve, type Conversion, type ReservationContext } from './reservation-plan';

type AcceptCall = Extract<SchedulerCallParsed, { type: 'ACCEPT' }>;
type ParsedOperation = AcceptCall['accept']['operations'][number];
type ParsedTaskSpec = Extract<ParsedOperation, { type: 'LAUNCH' }>['launch']['taskInfos'][number];

/** What the checks need to know about the world. */
export interface LaunchContext {
  frameworkId: string;
  agentId: string;
  /** The agent's executor plugins. */
  executors: readonly string[];
  /** Resources of the used offers; tasks consume it in order (it is mutated). */
  remaining: Resources;
  /** Is the task id taken (live or remembered)? */
  taskIdInUse(taskId: string): boolean;
}

/** A task that will not run, and the update its framework gets for it. */
export interface RefusedTask {
  taskId: string;
  state: TaskState;
  reason: TaskReason;
  message: string;
}

/** A task to launch, with its resources parsed. */
export interface PlannedTask {
  info: TaskInfo;
  resources: Resources;
}

/** Everything the operations of one ACCEPT are checked against; `remaining` is shared. */
export interface OperationContext extends LaunchContext, ReservationContext {}

/** A RESERVE or UNRESERVE that changed nothing, by its index in the ACCEPT's operations. */
export interface RefusedOperation {
  index: number;
  type: 'RESERVE' | 'UNRESERVE';
  error: InputError;
}

/**
 * The outcome: groups of tasks to send to the agent (one launch message each), reservation
 * changes for the allocator and the agent's record (in order), and refusals.
 */
export interface OperationPlan {
  groups: PlannedTask[][];
  refused: RefusedTask[];
  conversions: Conversion[];
  refusedOperations: RefusedOperation[];
}

/**
 * Checks the operations of an ACCEPT against the offers it uses, in order, each one against
 * what the offers hold after the ones before it (so a RESERVE followed by a LAUNCH on the
 * reserved resources works, as in Mesos). LAUNCH: the task names the offers' agent, its id is
 * new, its executor runs on that agent, and its resources fit in what is left; a bad task is
 * refused alone (TASK_ERROR); a LAUNCH_GROUP is launched whole or refused whole. RESERVE and
 * UNRESERVE transform what is left (see planReserve, planUnreserve) or are refused whole. Pure:
 * the caller applies the plan.
 */
export function planOperations(operations: readonly ParsedOperation[], ctx: OperationContext): OperationPlan {
  const plan: OperationPlan = { groups: [], refused: [], conversions: [], refusedOperations: [] };
  const claimed = new Set<string>();
  for (const [index, operation] of operations.entries()) {
    if (operation.type === 'RESERVE' || operation.type === 'UNRESERVE') {
      const outcome = operation.type === 'RESERVE' ? planReserve(operation.reserve.resources, ctx) : planUnreserve(operation.unreserve.resources, ctx);
      if (Array.isArray(outcome)) plan.conversions.push(...outcome);
      else plan.refusedOperations.push({ index, type: operation.type, error: outcome });
    } else if (operation.type === 'LAUNCH') {
      for (const spec of operation.launch.taskInfos) {
        const resources = Resources.fromJson(spec.resources);
        const problems = taskProblems(spec, resources, ctx, claimed, ctx.remaining);
        if (problems.length > 0) {
          plan.refused.push(taskError(spec.taskId, problems.join('; ')));
          continue;
        }
        claim(spec.taskId, resources, claimed, ctx.remaining);
        plan.groups.push([{ info: toTaskInfo(spec, ctx.frameworkId), resources }]);
      }
    } else if (operation.type === 'LAUNCH_GROUP') {
      planGroup(operation.launchGroup.taskGroup.tasks, ctx, claimed, plan);
    }
  }
  return plan;
}

function planGroup(specs: readonly ParsedTaskSpec[], ctx: LaunchContext, claimed: Set<string>, plan: OperationPlan): void {
  // Checked against a scratch copy: a refused group takes nothing from the offers.
  const scratch = Resources.empty().addInPlace(ctx.remaining);
  const scratchClaimed = new Set(claimed);
  const problems: string[] = [];
  const parsed = specs.map((spec) => Resources.fromJson(spec.resources));
  specs.forEach((spec, i) => {
    const own = taskProblems(spec, parsed[i]!, ctx, scratchClaimed, scratch);
    if (own.length > 0) problems.push(`task '${spec.taskId}': ${own.join('; ')}`);
    else claim(spec.taskId, parsed[i]!, scratchClaimed, scratch);
  });
  if (problems.length > 0) {
    const message = `task group refused, no task of it was launched: ${problems.join('; ')}`;
    for (const spec of specs) plan.refused.push(taskError(spec.taskId, message));
    return;
  }
  specs.forEach((spec, i) => claim(spec.taskId, parsed[i]!, claimed, ctx.remaining));
  plan.groups.push(specs.map((spec, i) => ({ info: toTaskInfo(spec, ctx.frameworkId), resources: parsed[i]! })));
}

function taskProblems(spec: ParsedTaskSpec, resources: Resources, ctx: LaunchContext, claimed: ReadonlySet<string>, remaining: Resources): string[] {
  const problems: string[] = [];
  if (claimed.has(spec.taskId)) problems.push(`task id '${spec.taskId}' is used twice in this ACCEPT`);
  else if (ctx.taskIdInUse(spec.taskId)) problems.push(`task id '${spec.taskId}' is already in use`);
  if (spec.agentId !== ctx.agentId) problems.push(`task names agent '${spec.agentId}' but the offers are for agent '${ctx.agentId}'`);
  if (!ctx.executors.includes(spec.executor)) {
    problems.push(`executor '${spec.executor}' is not available on agent '${ctx.agentId}' (it has: ${ctx.executors.join(', ') || 'none'})`);
  }
  if (resources.isEmpty()) problems.push('a task needs some resources');
  else if (!remaining.contains(resources)) {
    problems.push(`resources '${resources.toString()}' exceed what the offers have left ('${remaining.toString()}')`);
  }
  return problems;
}

function claim(taskId: string, resources: Resources, claimed: Set<string>, remaining: Resources): void {
  claimed.add(taskId);
  remaining.subtractInPlace(resources);
}

function toTaskInfo(spec: ParsedTaskSpec, frameworkId: string): TaskInfo {
  return { ...spec, frameworkId };
}

function taskError(taskId: string, message: string): RefusedTask {
  return { taskId, state: 'ERROR', reason: 'REASON_TASK_INVALID', message };
}
