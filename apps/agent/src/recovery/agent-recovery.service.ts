import { Inject, Injectable } from '@nestjs/common';
import { createLogger, describeError, type Logger } from '@pando/common';
import { isTerminalState, type TaskInfo } from '@pando/protocol';
import type { Resources } from '@pando/resources';
import type { RecoveredTask } from '@pando/sdk';
import { AGENT_CONFIG, type AgentConfig } from '../agent.options';
import { AGENT_RESOURCES } from '../agent.version';
import { AgentCheckpoint } from '../checkpoint/agent-checkpoint';
import { TaskCheckpointer } from '../checkpoint/task-checkpointer.service';
import { ExecutorCatalog } from '../executors/executor-catalog';
import { AgentSession } from '../master/agent-session';
import { StatusUpdateManager, type TaskRecord } from '../status/status-update-manager';
import { TaskManager } from '../tasks/task-manager.service';
import { incompatibilities } from './config-compatibility';

type RecordWithTask = TaskRecord & { task: TaskInfo };

/** What recover() found, for logs and tests. */
export interface RecoverySummary {
  tasks: number;
  completed: number;
  /** Why the agent registers as a new agent (empty: it keeps its id). */
  incompatible: string[];
}

/**
 * Runs once at start, before the agent talks to any master (as Mesos's agent recovers before it
 * registers): puts the checkpointed task table back, hands each executor its tasks to re-attach
 * (recover()), and decides whether the agent can still be the agent it was.
 *
 * When it cannot (another host name, or resources its running tasks no longer fit in), it
 * registers as a NEW agent, and the old agent's tasks are killed through their executors, so
 * no process or container is left running unaccounted for on a host whose new agent offers all of
 * its resources again. Their KILLED updates (reason REASON_AGENT_RESTARTED) are still sent under
 * the OLD agent id, so the master and frameworks learn of the end at once instead of after the
 * old agent's removal timeout; tasks that ended on their own meanwhile report their real outcome.
 */
@Injectable()
export class AgentRecovery {
  private readonly log: Logger = createLogger('agent.recovery');

  constructor(
    @Inject(AGENT_CONFIG) private readonly config: AgentConfig,
    @Inject(AGENT_RESOURCES) private readonly resources: Resources,
    private readonly session: AgentSession,
    private readonly checkpoint: AgentCheckpoint,
    private readonly checkpointer: TaskCheckpointer,
    private readonly statusUpdates: StatusUpdateManager,
    private readonly executors: ExecutorCatalog,
    private readonly tasks: TaskManager,
  ) {}

  async recover(): Promise<RecoverySummary> {
    const saved = await this.checkpoint.saved();
    const loaded = await this.checkpointer.load();
    this.statusUpdates.restore(loaded.records, loaded.completed);
    await this.checkpointer.start();
    const withTask = loaded.records.filter((r): r is RecordWithTask => r.task !== undefined);
    let problems: string[] = [];
    if (saved) {
      problems = incompatibilities(saved, { hostname: this.config.hostname, resources: this.resources }, loaded.records);
    } else if (withTask.length > 0) {
      // The id file is gone (removed to start afresh?): the tasks still name their agent.
      this.session.setAgentId(withTask[0]!.task.agentId);
      problems = ['its id checkpoint (agent.json) is missing'];
    }
    if (loaded.records.length + loaded.completed.length > 0) {
      this.log.info(
        { agentId: this.session.agentId, tasks: loaded.records.length, completed: loaded.completed.length, pendingUpdates: this.statusUpdates.pendingCount() },
        'restored the task checkpoint; re-attaching tasks',
      );
    }
    await this.reattach(withTask);
    if (problems.length > 0) this.retireIdentity(problems, withTask);
    return { tasks: loaded.records.length, completed: loaded.completed.length, incompatible: problems };
  }

  /** Hands each executor its tasks (also the ended ones: an executor may clean up after them). */
  private async reattach(records: readonly RecordWithTask[]): Promise<void> {
    const byExecutor = new Map<string, RecoveredTask[]>();
    for (const record of records) {
      const id = record.executor ?? record.task.executor;
      const list = byExecutor.get(id) ?? [];
      list.push({ launch: this.tasks.launchOf(record), lastState: record.latest?.state ?? 'STAGING', checkpoint: record.executorData });
      byExecutor.set(id, list);
    }
    for (const [id, list] of byExecutor) {
      const found = this.executors.lookup(id);
      if ('problem' in found) {
        this.failAll(list, `cannot be re-attached after the agent restarted: ${found.problem}`);
        continue;
      }
      if (!found.executor.recover) {
        this.failAll(list, `executor '${id}' cannot re-attach tasks after an agent restart`);
        continue;
      }
      const byId = new Map(list.map((r) => [r.launch.task.taskId, r.launch.task]));
      try {
        await found.executor.recover(list, (taskId) => this.tasks.driverFor(byId.get(taskId)!));
      } catch (err) {
        this.log.error({ executor: id, err: describeError(err) }, `executor '${id}' failed to recover its tasks`);
        this.failAll(list, `executor '${id}' failed to re-attach it after the agent restarted: ${describeError(err)}`);
      }
    }
  }

  /** Tasks that cannot be re-attached end FAILED (those already ended keep their state). */
  private failAll(list: readonly RecoveredTask[], message: string): void {
    for (const { launch, lastState } of list) {
      if (isTerminalState(lastState)) continue;
      this.log.warn({ taskId: launch.task.taskId }, `task ${launch.task.taskId} ${message}`);
      this.statusUpdates.update(launch.task, 'FAILED', { reason: 'REASON_EXECUTOR_TERMINATED', message }, 'SOURCE_AGENT');
    }
  }

  private retireIdentity(problems: readonly string[], records: readonly RecordWithTask[]): void {
    const oldId = this.session.agentId;
    const running = records.filter((r) => !this.statusUpdates.get(r.taskId)?.terminal);
    this.log.warn(
      { oldAgentId: oldId, problems, tasks: running.map((r) => r.taskId) },
      `the agent's configuration changed incompatibly (${problems.join('; ')}): registering as a new agent instead of ${oldId}; its ${running.length} remaining task(s) are killed`,
    );
    const message = `killed: agent ${oldId} restarted with an incompatible configuration and registers as a new agent`;
    for (const record of running) this.tasks.killAsAgent(record.taskId, { reason: 'REASON_AGENT_RESTARTED', message, retiring: true });
    this.session.retire();
  }
}
