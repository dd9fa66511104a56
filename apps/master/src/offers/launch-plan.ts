import type { Operation, SchedulerCallParsed, TaskInfo, TaskReason, TaskState } from '@pando/protocol';
import { Resources } from '@pando/resources';

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

/** The outcome: groups of tasks to send to the agent (one launch message each) and refusals. */
export interface LaunchPlan {
  groups: PlannedTask[][];
  refused: RefusedTask[];
}

/**
 * Checks every LAUNCH and LAUNCH_GROUP of an ACCEPT against the offers it uses, in order: the
 * task names the offers' agent, its id is new, its executor runs on that agent, and its
 * resources fit in what the offers have left after the tasks before it. A bad LAUNCH task is
 * refused alone (TASK_ERROR); a LAUNCH_GROUP is launched whole or refused whole. Pure: the caller
 * applies the plan.
 */
export function planLaunches(operations: readonly ParsedOperation[], ctx: LaunchContext): LaunchPlan {
  const plan: LaunchPlan = { groups: [], refused: [] };
  const claimed = new Set<string>();
  for (const operation of operations) {
    if (operation.type === 'LAUNCH') {
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

function planGroup(specs: readonly ParsedTaskSpec[], ctx: LaunchContext, claimed: Set<string>, plan: LaunchPlan): void {
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

/** Operations Pando does not carry out yet. */
export function unsupportedOperations(operations: readonly Operation[]): string[] {
  return operations.filter((op) => op.type === 'RESERVE' || op.type === 'UNRESERVE').map((op) => op.type);
}
