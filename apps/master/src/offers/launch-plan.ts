import type { InputError } from '@pando/common';
import type { SchedulerCallParsed, TaskInfo, TaskReason, TaskState } from '@pando/protocol';
import { Resources, type ResourceJson } from '@pando/resources';
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
  const parsed = new TaskResourcesParser();
  for (const [index, operation] of operations.entries()) {
    if (operation.type === 'RESERVE' || operation.type === 'UNRESERVE') {
      const outcome = operation.type === 'RESERVE' ? planReserve(operation.reserve.resources, ctx) : planUnreserve(operation.unreserve.resources, ctx);
      if (Array.isArray(outcome)) plan.conversions.push(...outcome);
      else plan.refusedOperations.push({ index, type: operation.type, error: outcome });
    } else if (operation.type === 'LAUNCH') {
      for (const spec of operation.launch.taskInfos) {
        const { json, resources } = parsed.parse(spec.resources);
        const problems = taskProblems(spec, resources, ctx, claimed, ctx.remaining);
        if (problems.length > 0) {
          plan.refused.push(taskError(spec.taskId, problems.join('; ')));
          continue;
        }
        claim(spec.taskId, resources, claimed, ctx.remaining);
        plan.groups.push([{ info: toTaskInfo(spec, ctx.frameworkId, json), resources }]);
      }
    } else if (operation.type === 'LAUNCH_GROUP') {
      planGroup(operation.launchGroup.taskGroup.tasks, ctx, claimed, plan, parsed);
    }
  }
  return plan;
}

function planGroup(specs: readonly ParsedTaskSpec[], ctx: LaunchContext, claimed: Set<string>, plan: OperationPlan, parser: TaskResourcesParser): void {
  // Checked against a scratch copy: a refused group takes nothing from the offers.
  const scratch = Resources.empty().addInPlace(ctx.remaining);
  const scratchClaimed = new Set(claimed);
  const problems: string[] = [];
  const parsed = specs.map((spec) => parser.parse(spec.resources));
  specs.forEach((spec, i) => {
    const own = taskProblems(spec, parsed[i]!.resources, ctx, scratchClaimed, scratch);
    if (own.length > 0) problems.push(`task '${spec.taskId}': ${own.join('; ')}`);
    else claim(spec.taskId, parsed[i]!.resources, scratchClaimed, scratch);
  });
  if (problems.length > 0) {
    const message = `task group refused, no task of it was launched: ${problems.join('; ')}`;
    for (const spec of specs) plan.refused.push(taskError(spec.taskId, message));
    return;
  }
  specs.forEach((spec, i) => claim(spec.taskId, parsed[i]!.resources, claimed, ctx.remaining));
  plan.groups.push(specs.map((spec, i) => ({ info: toTaskInfo(spec, ctx.frameworkId, parsed[i]!.json), resources: parsed[i]!.resources })));
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

/**
 * The task as the master keeps it and sends it. Built field by field rather than spread from the
 * spec: copies spread from JSON-parsed objects got a hidden class each in V8 (with its descriptors,
 * about 250 bytes more per live task, and slow property access), while a literal of one shape
 * shares one. TASK_INFO_OPTIONAL must name every optional field of TaskInfo (checked below).
 */
function toTaskInfo(spec: ParsedTaskSpec, frameworkId: string, resources: ResourceJson[]): TaskInfo {
  const info: TaskInfo = { taskId: spec.taskId, name: spec.name, frameworkId, agentId: spec.agentId, resources, executor: spec.executor };
  for (const field of TASK_INFO_OPTIONAL) if (spec[field] !== undefined) (info as Record<string, unknown>)[field] = spec[field];
  return info;
}

const TASK_INFO_OPTIONAL = ['command', 'container', 'healthCheck', 'killGracePeriodMs', 'labels', 'data'] as const satisfies ReadonlyArray<keyof TaskInfo>;
// Fails to compile when TaskInfo gains a field that toTaskInfo would not copy.
type UncopiedField = Exclude<keyof TaskInfo, 'taskId' | 'name' | 'frameworkId' | 'agentId' | 'resources' | 'executor' | (typeof TASK_INFO_OPTIONAL)[number]>;
const EVERY_FIELD_COPIED: [UncopiedField] extends [never] ? true : never = true;
void EVERY_FIELD_COPIED;

/**
 * Parses the resources of an ACCEPT's tasks, once per distinct ask: a framework launching copies
 * of one task asks for the same resources in each, and the master keeps every live task's
 * resources (parsed, and as JSON in its info), so copies share one parse and one JSON list
 * rather than holding and collecting their own. Sharing is safe because a task's resources are
 * never changed in place (they are replaced whole; see TaskRecord.resources).
 */
class TaskResourcesParser {
  private last?: { json: ResourceJson[]; resources: Resources };

  parse(json: ResourceJson[]): { json: ResourceJson[]; resources: Resources } {
    if (this.last && sameScalarResources(json, this.last.json)) return this.last;
    this.last = { json, resources: Resources.fromJson(json) };
    return this.last;
  }
}

/** Equal lists of plain scalar resources (anything else is simply parsed anew). */
function sameScalarResources(a: readonly ResourceJson[], b: readonly ResourceJson[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.type !== 'SCALAR' || y.type !== 'SCALAR' || x.name !== y.name || x.role !== y.role) return false;
    if (x.reservation !== undefined || y.reservation !== undefined || x.scalar?.value !== y.scalar?.value) return false;
  }
  return true;
}

function taskError(taskId: string, message: string): RefusedTask {
  return { taskId, state: 'ERROR', reason: 'REASON_TASK_INVALID', message };
}
