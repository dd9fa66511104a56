import { Inject, Injectable } from '@nestjs/common';
import { createLogger, InputError, type Clock } from '@pando/common';
import type { StatusUpdateMessage } from '@pando/protocol';
import { AgentMessenger } from '../agents/agent-messenger.service';
import { CLOCK, STATUS_UPDATE_SINK } from '../master.tokens';
import type { StatusUpdateSink } from './status-update.sink';
import { TaskTable, type ApplyOutcome } from './task-table.service';

/**
 * The path of an agent's status update: recorded in the task table, handed to the sink
 * (frameworks, later) and acknowledged to the agent only once the sink is done. (The master's
 * own updates need no acknowledgement; their makers hand them to the sink directly.)
 */
@Injectable()
export class StatusUpdateRouter {
  private readonly log = createLogger('status-update-router');

  constructor(
    private readonly tasks: TaskTable,
    private readonly messenger: AgentMessenger,
    @Inject(STATUS_UPDATE_SINK) private readonly sink: StatusUpdateSink,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Records an agent's update and forwards it; the agent is acknowledged once the sink says so.
   * Throws an InputError for an update that names another agent (not acknowledged either).
   */
  fromAgent({ agentId, status }: StatusUpdateMessage): ApplyOutcome | 'foreign' {
    if (status.agentId !== undefined && status.agentId !== agentId) {
      // Not acknowledged either: a sender this confused should show up in its own logs too.
      throw new InputError(`status update for task '${status.taskId}' from agent '${agentId}' names agent '${status.agentId}'`);
    }
    const now = this.clock.now();
    const known = this.tasks.get(status.taskId);
    const acknowledge = (): void => this.messenger.acknowledge(agentId, status.taskId, status.uuid);
    if (known && (known.agentId !== agentId || known.frameworkId !== status.frameworkId)) {
      // Re-sending cannot make it apply, so it is acknowledged to stop the retries.
      this.log.warn(
        { taskId: status.taskId, agentId, frameworkId: status.frameworkId, knownAgentId: known.agentId, knownFrameworkId: known.frameworkId },
        `ignored status update for task '${status.taskId}': it belongs to framework '${known.frameworkId}' on agent '${known.agentId}'`,
      );
      acknowledge();
      return 'foreign';
    }
    let outcome: ApplyOutcome;
    if (known) {
      outcome = this.tasks.apply(known, status, now);
    } else {
      this.log.info({ taskId: status.taskId, agentId, state: status.state }, `recorded unknown task '${status.taskId}' from its status update`);
      outcome = 'applied';
    }
    const task = known ?? this.tasks.addFromStatus(agentId, status, now);
    if (this.log.isLevelEnabled('debug')) this.log.debug({ taskId: task.id, agentId, state: status.state, uuid: status.uuid, outcome }, 'status update');
    // A re-sent update goes to the sink again: the first copy may still await the framework's
    // acknowledgement, and acknowledging the copy now would end the agent's retries early.
    if (outcome !== 'terminal') this.sink.forwardAgentUpdate(task, status, acknowledge);
    else acknowledge();
    return outcome;
  }
}
