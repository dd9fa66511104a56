import { Inject, Injectable } from '@nestjs/common';
import { ConflictError, createLogger, newId, NotFoundError, PandoError, type Clock, type PandoErrorCode } from '@pando/common';
import {
  isTerminalState,
  OPERATOR_FRAMEWORK_ID,
  taskInfoSchema,
  validate,
  type operatorLaunchRequestSchema,
  type OperatorKillRequest,
  type OperatorLaunchReply,
  type TaskInfo,
} from '@pando/protocol';
import type { z } from 'zod';
import { Resources } from '@pando/resources';
import { AgentMessenger } from '../agents/agent-messenger.service';
import { AgentRegistry } from '../agents/agent-registry.service';
import type { AgentRecord } from '../agents/agent.record';
import type { Allocator } from '../allocation';
import { FrameworkRegistry } from '../frameworks/framework-registry.service';
import { ALLOCATOR, CLOCK } from '../master.tokens';
import { TaskLedger } from '../offers/task-ledger.service';
import { TaskTable } from '../tasks/task-table.service';

export type OperatorLaunch = z.infer<typeof operatorLaunchRequestSchema>;

interface Problem {
  code: PandoErrorCode;
  text: string;
}

/**
 * Launches and kills single tasks outside any offer (tools, tests). A launch is checked
 * completely first; any problem refuses it with every problem listed and nothing changed.
 */
@Injectable()
export class TaskLauncher {
  private readonly log = createLogger('task-launcher');

  constructor(
    private readonly registry: AgentRegistry,
    private readonly tasks: TaskTable,
    private readonly messenger: AgentMessenger,
    @Inject(ALLOCATOR) private readonly allocator: Allocator,
    private readonly ledger: TaskLedger,
    private readonly frameworks: FrameworkRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  launch(request: OperatorLaunch): OperatorLaunchReply {
    const { agentId } = request;
    const taskId = request.task.taskId ?? newId('task');
    const frameworkId = request.frameworkId ?? OPERATOR_FRAMEWORK_ID;
    const resources = Resources.fromJson(request.task.resources);
    const agent = this.registry.get(agentId);
    const problems = this.check(request, taskId, resources, agent);
    if (problems.length > 0) throw launchError(taskId, agentId, problems);
    const { name, executor, command, container, healthCheck, killGracePeriodMs, labels } = request.task;
    const info: TaskInfo = validate(
      taskInfoSchema,
      { taskId, name: name ?? taskId, frameworkId, agentId, resources: request.task.resources, executor, command, container, healthCheck, killGracePeriodMs, labels },
      'task info',
    );
    const task = this.tasks.addLaunched(info, this.clock.now());
    // Booked in the allocator like any task, so its resources are not offered meanwhile; to its
    // framework when that one is subscribed here, else to the built-in operator framework.
    this.ledger.track(task, this.frameworks.get(frameworkId) ? frameworkId : OPERATOR_FRAMEWORK_ID);
    this.messenger.launch(agentId, frameworkId, [info]);
    this.log.info({ taskId, agentId, frameworkId, executor }, `launching task '${taskId}' on agent ${agentId}`);
    return { ok: true, taskId, agentId };
  }

  kill({ taskId, gracePeriodMs }: OperatorKillRequest): { ok: true } {
    const task = this.tasks.get(taskId);
    if (!task) throw new NotFoundError(`cannot kill task '${taskId}': no such task`);
    if (isTerminalState(task.state)) throw new ConflictError(`cannot kill task '${taskId}': it is already TASK_${task.state}`);
    this.messenger.kill(task.agentId, task.frameworkId, taskId, gracePeriodMs ?? task.info.killGracePeriodMs);
    this.log.info({ taskId, agentId: task.agentId }, `killing task '${taskId}' on agent ${task.agentId}`);
    return { ok: true };
  }

  private check(request: OperatorLaunch, taskId: string, resources: Resources, agent: AgentRecord | undefined): Problem[] {
    const problems: Problem[] = [];
    if (this.tasks.get(taskId)) problems.push({ code: 'CONFLICT', text: `task id '${taskId}' is already in use` });
    if (resources.isEmpty()) problems.push({ code: 'INPUT', text: 'a task needs some resources' });
    if (!agent) {
      problems.push({ code: 'NOT_FOUND', text: `agent '${request.agentId}' is not registered` });
      return problems;
    }
    if (!agent.active) problems.push({ code: 'CONFLICT', text: `agent '${agent.id}' is unreachable` });
    if (!agent.info.executors.includes(request.task.executor)) {
      problems.push({
        code: 'INPUT',
        text: `executor '${request.task.executor}' is not offered by agent '${agent.id}' (it offers: ${agent.info.executors.join(', ') || 'none'})`,
      });
    }
    // Free = total - used - offered: what the allocator has not handed out.
    const free = this.allocator.agentAvailable(agent.id) ?? agent.resources.subtract(this.tasks.usedOn(agent.id));
    if (!free.contains(resources)) {
      problems.push({ code: 'CONFLICT', text: `resources '${resources.toString()}' do not fit in the agent's free '${free.toString()}' (not used nor offered)` });
    }
    return problems;
  }
}

// A missing agent decides the code; then a bad request; otherwise it is a conflict with state.
function launchError(taskId: string, agentId: string, problems: Problem[]): PandoError {
  const codes = new Set(problems.map((p) => p.code));
  const code: PandoErrorCode = codes.has('NOT_FOUND') ? 'NOT_FOUND' : codes.has('INPUT') ? 'INPUT' : 'CONFLICT';
  const details = problems.map((p) => p.text);
  return new PandoError(code, `cannot launch task '${taskId}' on agent '${agentId}': ${details.join('; ')}`, details);
}
