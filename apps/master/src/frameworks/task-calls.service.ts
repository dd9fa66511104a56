import { Inject, Injectable } from '@nestjs/common';
import { ConflictError, createLogger, describeError, InputError, NotFoundError, UnavailableError, type Clock } from '@pando/common';
import { isTerminalState, type Acknowledgement, type TaskStatus } from '@pando/protocol';
import type { Allocator } from '../allocation';
import { AgentMessenger } from '../agents/agent-messenger.service';
import { AgentRegistry } from '../agents/agent-registry.service';
import { ALLOCATOR, CLOCK } from '../master.tokens';
import { AllocationTrigger } from '../offers/allocation-trigger';
import { TaskTable } from '../tasks/task-table.service';
import type { FrameworkRecord } from './framework.record';
import { UpdateForwarder } from './update-forwarder.service';

/**
 * The scheduler calls about tasks and offer flow that need no offer book: REVIVE, SUPPRESS,
 * KILL, SHUTDOWN, ACKNOWLEDGE, MESSAGE. The caller is already checked (subscribed, its own id).
 */
@Injectable()
export class TaskCalls {
  private readonly log = createLogger('scheduler-calls');

  constructor(
    @Inject(ALLOCATOR) private readonly allocator: Allocator,
    private readonly trigger: AllocationTrigger,
    private readonly tasks: TaskTable,
    private readonly agents: AgentRegistry,
    private readonly messenger: AgentMessenger,
    private readonly forwarder: UpdateForwarder,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  revive(framework: FrameworkRecord, roles: readonly string[] | undefined): void {
    this.checkRoles(framework, roles, 'REVIVE');
    this.allocator.reviveOffers(framework.id, roles);
    for (const role of roles ?? framework.roles) framework.suppressedRoles.delete(role);
    this.trigger.trigger();
  }

  suppress(framework: FrameworkRecord, roles: readonly string[] | undefined): void {
    this.checkRoles(framework, roles, 'SUPPRESS');
    this.allocator.suppressOffers(framework.id, roles);
    for (const role of roles ?? framework.roles) framework.suppressedRoles.add(role);
  }

  /**
   * KILL. A live task of the framework: the kill goes to its agent (the terminal update follows).
   * A terminal one: nothing to do. One the master does not know: the agent named is asked (it
   * answers LOST for a task it does not run either) or, without a usable agent, the framework is
   * told UNKNOWN (LOST when not partition-aware), as Mesos does.
   */
  kill(framework: FrameworkRecord, taskId: string, agentId: string | undefined, gracePeriodMs: number | undefined): void {
    const task = this.tasks.get(taskId);
    if (task && task.frameworkId !== framework.id) throw new ConflictError(`KILL refused: task '${taskId}' belongs to another framework`);
    if (task) {
      if (isTerminalState(task.state)) return;
      this.messenger.kill(task.agentId, framework.id, taskId, gracePeriodMs ?? task.info.killGracePeriodMs);
      this.log.info({ frameworkId: framework.id, taskId, agentId: task.agentId }, `killing task '${taskId}' on agent ${task.agentId}`);
      return;
    }
    const agent = agentId === undefined ? undefined : this.agents.get(agentId);
    if (agent?.active) {
      this.messenger.kill(agent.id, framework.id, taskId, gracePeriodMs);
      return;
    }
    const status: TaskStatus = {
      taskId,
      frameworkId: framework.id,
      state: agent ? 'UNREACHABLE' : 'UNKNOWN',
      timestamp: this.clock.now(),
      source: 'SOURCE_MASTER',
      reason: 'REASON_RECONCILIATION',
      message: agent ? `cannot kill task '${taskId}': agent ${agent.id} is unreachable` : `cannot kill task '${taskId}': the master does not know it`,
    };
    if (agentId !== undefined) status.agentId = agentId;
    this.forwarder.sendMasterUpdate(framework, status);
  }

  /** SHUTDOWN: kills every live task of the framework on the agent; returns how many. */
  shutdown(framework: FrameworkRecord, agentId: string): number {
    let count = 0;
    for (const task of [...this.tasks.tasksOnAgent(agentId)]) {
      if (task.frameworkId !== framework.id) continue;
      this.messenger.kill(agentId, framework.id, task.id, task.info.killGracePeriodMs);
      count++;
    }
    this.log.info({ frameworkId: framework.id, agentId, tasks: count }, `shutting down framework ${framework.id} on agent ${agentId}`);
    return count;
  }

  acknowledge(framework: FrameworkRecord, agentId: string, taskId: string, uuid: string): void {
    const task = this.tasks.get(taskId);
    if (task && task.frameworkId !== framework.id) throw new ConflictError(`ACKNOWLEDGE refused: task '${taskId}' belongs to another framework`);
    if (task && task.agentId !== agentId) throw new InputError(`ACKNOWLEDGE refused: task '${taskId}' runs on agent '${task.agentId}', not '${agentId}'`);
    this.forwarder.acknowledge(framework.id, agentId, taskId, uuid);
  }

  /**
   * ACKNOWLEDGE with several acknowledgements: each is applied on its own. A lone one fails as
   * `acknowledge` does; when some of several are refused, the others still count and the error
   * (INPUT) lists every refusal.
   */
  acknowledgeAll(framework: FrameworkRecord, acks: readonly Acknowledgement[]): void {
    if (acks.length === 1) return this.acknowledge(framework, acks[0]!.agentId, acks[0]!.taskId, acks[0]!.uuid);
    const refused: string[] = [];
    for (const { agentId, taskId, uuid } of acks) {
      try {
        this.acknowledge(framework, agentId, taskId, uuid);
      } catch (err) {
        refused.push(describeError(err));
      }
    }
    if (refused.length > 0) {
      throw new InputError(`ACKNOWLEDGE refused ${refused.length} of ${acks.length} acknowledgements (the others were applied): ${refused[0]}`, refused);
    }
  }

  /**
   * MESSAGE: hands `data` (base64) to the executor of one of the framework's live tasks, on the
   * agent named. Best effort, as in Mesos: checked here (unknown agent or task, another
   * framework's task, a task that ended or runs elsewhere, an unreachable agent: a typed error
   * naming it), then published to the agent without an answer.
   */
  message(framework: FrameworkRecord, agentId: string, taskId: string, data: string): void {
    const agent = this.agents.get(agentId);
    if (!agent) throw new NotFoundError(`MESSAGE refused: agent '${agentId}' is not known`);
    const task = this.tasks.get(taskId);
    if (!task) throw new NotFoundError(`MESSAGE refused: task '${taskId}' is not known`);
    if (task.frameworkId !== framework.id) throw new ConflictError(`MESSAGE refused: task '${taskId}' belongs to another framework`);
    if (task.agentId !== agentId) throw new InputError(`MESSAGE refused: task '${taskId}' runs on agent '${task.agentId}', not '${agentId}'`);
    if (isTerminalState(task.state)) throw new ConflictError(`MESSAGE refused: task '${taskId}' has ended (TASK_${task.state}); there is no executor to deliver to`);
    if (!agent.active) throw new UnavailableError(`MESSAGE refused: agent '${agentId}' is unreachable`);
    this.messenger.frameworkMessage(agentId, framework.id, taskId, data);
    this.log.debug({ frameworkId: framework.id, agentId, taskId, bytes: Math.floor((data.length * 3) / 4) }, `message for task '${taskId}' sent to agent ${agentId}`);
  }

  private checkRoles(framework: FrameworkRecord, roles: readonly string[] | undefined, call: string): void {
    const unknown = (roles ?? []).filter((role) => !framework.roles.includes(role));
    if (unknown.length > 0) {
      throw new InputError(`${call} refused: framework '${framework.id}' is not subscribed to roles ${unknown.join(', ')}`, unknown.map((r) => `role '${r}' is not one of the framework's roles`));
    }
  }
}
