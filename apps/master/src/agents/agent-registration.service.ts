import { Inject, Injectable, Optional } from '@nestjs/common';
import { createLogger, InputError, type Clock } from '@pando/common';
import { PROTOCOL_VERSION, type RegisterAgentReply, type RegisterAgentRequestParsed, type TaskStatus } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { MasterIdentity } from '../identity/master-identity';
import { RecoveryGate } from '../leadership/recovery-gate.service';
import { AGENT_OBSERVER, CLOCK, MASTER_OPTIONS_TOKEN, REGISTRY_SINK, STATUS_UPDATE_SINK, TASK_STATE_POLICY } from '../master.tokens';
import { NO_REGISTRY, type RegistrySink } from '../registry/registry.sink';
import type { MasterOptions } from '../master.options';
import { forwardMasterUpdates, type StatusUpdateSink } from '../tasks/status-update.sink';
import { LOST_POLICY, type TaskStatePolicy } from '../tasks/task-state.policy';
import { TaskTable, type MasterStatus } from '../tasks/task-table.service';
import type { AgentObserver } from './agent.observer';
import { AgentRegistry } from './agent-registry.service';

/**
 * Admits agents: checks a registration completely before touching any state, then admits the
 * agent and reconciles the tasks it reports. O(1) plus O(its tasks) per registration.
 */
@Injectable()
export class AgentRegistrationService {
  private readonly log = createLogger('agent-registration');

  constructor(
    private readonly registry: AgentRegistry,
    private readonly tasks: TaskTable,
    @Inject(STATUS_UPDATE_SINK) private readonly sink: StatusUpdateSink,
    @Inject(AGENT_OBSERVER) private readonly observer: AgentObserver,
    private readonly identity: MasterIdentity,
    @Inject(MASTER_OPTIONS_TOKEN) private readonly options: MasterOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(TASK_STATE_POLICY) private readonly policy: TaskStatePolicy = LOST_POLICY,
    @Optional() @Inject(REGISTRY_SINK) private readonly registrySink: RegistrySink = NO_REGISTRY,
    @Optional() private readonly recovery?: RecoveryGate,
  ) {}

  register(request: RegisterAgentRequestParsed): RegisterAgentReply {
    const totals = this.check(request);
    const now = this.clock.now();
    const { agentId, tasks, hostname, httpPort, version, attributes, executors } = request;
    const info = httpPort === undefined ? { hostname, version, attributes, executors } : { hostname, httpPort, version, attributes, executors };
    const admission = this.registry.admit(agentId, info, totals, now);
    const { agent, kind } = admission;
    const bindings = { agentId: agent.id, hostname, kind, tasks: tasks.length };
    if (kind === 'registered') {
      this.log.info(bindings, `agent ${agent.id} (${hostname}) registered`);
    } else {
      const result = this.tasks.reconcileAgent(agent.id, tasks, now, this.policy.missingTaskState);
      forwardMasterUpdates(this.sink, result.lost);
      // Tasks that were UNREACHABLE are back: their frameworks hear it from the master (no uuid:
      // the agent's own update was acknowledged long ago).
      forwardMasterUpdates(this.sink, result.changed.map((change) => backFromAgent(change, agent.id)));
      this.log.info(
        { ...bindings, added: result.added, refreshed: result.refreshed, lost: result.lost.length, changed: result.changed.length },
        `agent ${agent.id} (${hostname}) re-registered`,
      );
      for (const why of result.skipped) this.log.warn({ agentId: agent.id }, `re-registration of agent ${agent.id}: ${why}`);
    }
    this.observer.agentAdmitted(admission);
    this.registrySink.agentChanged(agent);
    if (admission.recovered) this.recovery?.agentBack(agent.id);
    return {
      ok: true,
      agentId: agent.id,
      epoch: this.identity.epoch,
      masterId: this.identity.masterId,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
    };
  }

  /** Every semantic problem at once, as one InputError; returns the parsed totals. */
  private check(request: RegisterAgentRequestParsed): Resources {
    const problems: string[] = [];
    if (request.protocolVersion !== PROTOCOL_VERSION) {
      problems.push(`protocol version ${request.protocolVersion} is not supported: this master speaks version ${PROTOCOL_VERSION}`);
    }
    const totals = Resources.fromJson(request.resources);
    if (totals.isEmpty()) problems.push('resources: an agent must offer some resources');
    if (request.agentId === undefined && request.tasks.length > 0) {
      problems.push('tasks: an agent registering without an id cannot report tasks');
    }
    const seen = new Set<string>();
    request.tasks.forEach(({ task, status }, index) => {
      if (request.agentId !== undefined && task.agentId !== request.agentId) {
        problems.push(`tasks.${index}.task.agentId: task '${task.taskId}' names agent '${task.agentId}', not '${request.agentId}'`);
      }
      if (status.taskId !== task.taskId) problems.push(`tasks.${index}.status.taskId: '${status.taskId}' is not the task's id '${task.taskId}'`);
      if (status.frameworkId !== task.frameworkId) {
        problems.push(`tasks.${index}.status.frameworkId: '${status.frameworkId}' is not the task's framework '${task.frameworkId}'`);
      }
      if (seen.has(task.taskId)) problems.push(`tasks.${index}: task '${task.taskId}' is reported twice`);
      seen.add(task.taskId);
    });
    if (problems.length > 0) {
      throw new InputError(`registration of agent ${request.agentId ?? '(new)'} on ${request.hostname} refused: ${problems.join('; ')}`, problems);
    }
    return totals;
  }
}

function backFromAgent({ task, status }: MasterStatus, agentId: string): MasterStatus {
  const { uuid: _uuid, data: _data, ...rest } = status;
  // Pando's own reason (Mesos sends nothing here; its frameworks find out by reconciling).
  const update: TaskStatus = { ...rest, source: 'SOURCE_MASTER', reason: 'REASON_AGENT_REREGISTERED', message: `agent ${agentId} re-registered` };
  return { task, status: update };
}
