import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { ConflictError, createLogger, type Clock } from '@pando/common';
import type { TaskState, TaskStatus } from '@pando/protocol';
import { AgentRegistry } from '../agents/agent-registry.service';
import { MasterIdentity } from '../identity/master-identity';
import { RecoveryGate } from '../leadership/recovery-gate.service';
import { CLOCK, MASTER_OPTIONS_TOKEN } from '../master.tokens';
import type { MasterOptions } from '../master.options';
import { TaskTable } from '../tasks/task-table.service';
import type { TaskRecord } from '../tasks/task.record';
import { FrameworkRegistry } from './framework-registry.service';
import type { FrameworkRecord } from './framework.record';
import { UpdateForwarder } from './update-forwarder.service';

/** Answers sent per event-loop turn: a flood of reconciliations never holds up the rest. */
export const RECONCILE_CHUNK = 256;
/** Answers a framework may have queued; beyond, RECONCILE is refused until it drained. */
export const MAX_QUEUED_ANSWERS = 1_000_000;

export interface ReconcileTask {
  taskId: string;
  agentId?: string;
}

interface Job {
  readonly frameworkId: string;
  readonly answers: Iterator<TaskStatus | undefined>;
  /** Answers counted against the framework's queue and not sent yet. */
  remaining: number;
  readonly implicit: boolean;
}

/**
 * RECONCILE, answered as Mesos does with master-made UPDATE events (no uuid, source MASTER,
 * reason REASON_RECONCILIATION). Implicit (no tasks): the latest state of every non-terminal
 * task of the framework. Explicit, per task: a task of this framework the master knows -> its
 * latest state; unknown on a registered agent -> GONE; on an unreachable agent -> UNREACHABLE;
 * on an agent this master does not know -> UNKNOWN (each LOST for frameworks that are not
 * partition-aware). While agents may still be re-registering after this master took over
 * (recovering, one agent timeout, or an agent known from the registry that has not come back
 * yet), a task on an unknown agent gets no answer, as Mesos does for agents in transition: the
 * framework asks again later. Answers go out in chunks, frameworks in turn.
 */
@Injectable()
export class ReconciliationService implements OnModuleDestroy {
  private readonly log = createLogger('reconciliation');
  private readonly queue: Job[] = [];
  private readonly queued = new Map<string, number>();
  private draining: NodeJS.Immediate | undefined;

  constructor(
    private readonly tasks: TaskTable,
    private readonly agents: AgentRegistry,
    private readonly frameworks: FrameworkRegistry,
    private readonly forwarder: UpdateForwarder,
    private readonly identity: MasterIdentity,
    @Inject(MASTER_OPTIONS_TOKEN) private readonly options: MasterOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() private readonly recovery?: RecoveryGate,
  ) {}

  onModuleDestroy(): void {
    if (this.draining) clearImmediate(this.draining);
    this.queue.length = 0;
  }

  reconcile(framework: FrameworkRecord, tasks: readonly ReconcileTask[]): void {
    const implicit = tasks.length === 0;
    // A second implicit reconciliation queued behind one not started yet would repeat it.
    if (implicit && this.queue.some((job) => job.implicit && job.frameworkId === framework.id)) return;
    const size = implicit ? this.tasks.liveCountOf(framework.id) : tasks.length;
    const queued = this.queued.get(framework.id) ?? 0;
    if (queued + size > MAX_QUEUED_ANSWERS) {
      throw new ConflictError(`RECONCILE refused: framework '${framework.id}' already has ${queued} reconciliation answers queued; retry later`);
    }
    this.queued.set(framework.id, queued + size);
    const answers = implicit ? this.implicit(framework) : this.explicit(framework, tasks);
    this.queue.push({ frameworkId: framework.id, answers, remaining: size, implicit });
    this.log.debug({ frameworkId: framework.id, implicit, size }, 'reconciliation queued');
    this.schedule();
  }

  private *implicit(framework: FrameworkRecord): Generator<TaskStatus> {
    for (const task of this.tasks.tasksOfFramework(framework.id)) yield this.latest(task);
  }

  private *explicit(framework: FrameworkRecord, tasks: readonly ReconcileTask[]): Generator<TaskStatus | undefined> {
    for (const { taskId, agentId } of tasks) {
      const task = this.tasks.get(taskId);
      // Another framework's task is none of this one's business: unknown, as far as it is concerned.
      if (task && task.frameworkId === framework.id) yield this.latest(task);
      else yield this.unknownTask(framework.id, taskId, agentId ?? task?.agentId);
    }
  }

  private latest(task: TaskRecord): TaskStatus {
    const status: TaskStatus = {
      taskId: task.id,
      frameworkId: task.frameworkId,
      agentId: task.agentId,
      state: task.state,
      timestamp: this.clock.now(),
      source: 'SOURCE_MASTER',
      reason: 'REASON_RECONCILIATION',
      message: 'reconciliation: latest task state',
    };
    if (task.healthy !== undefined) status.healthy = task.healthy;
    return status;
  }

  private unknownTask(frameworkId: string, taskId: string, agentId: string | undefined): TaskStatus | undefined {
    const agent = agentId === undefined ? undefined : this.agents.get(agentId);
    let state: TaskState;
    let message: string;
    if (agent?.active) [state, message] = ['GONE', `reconciliation: task unknown to agent ${agent.id}`];
    else if (agent) [state, message] = ['UNREACHABLE', `reconciliation: agent ${agent.id} is unreachable`];
    else if (this.agentsMayStillReregister() || (agentId !== undefined && this.agents.isRecovered(agentId))) return undefined;
    else [state, message] = ['UNKNOWN', agentId === undefined ? 'reconciliation: task unknown' : `reconciliation: agent ${agentId} is unknown`];
    const status: TaskStatus = { taskId, frameworkId, state, timestamp: this.clock.now(), source: 'SOURCE_MASTER', reason: 'REASON_RECONCILIATION', message };
    if (agentId !== undefined) status.agentId = agentId;
    return status;
  }

  /**
   * While recovering, and within one agent timeout of taking over, an unknown agent may just not
   * have re-registered yet.
   */
  private agentsMayStillReregister(): boolean {
    if (this.recovery?.inProgress) return true;
    const since = this.identity.electedTime;
    const window = this.options.heartbeatIntervalMs * this.options.maxMissedHeartbeats;
    return since !== undefined && this.clock.now() - since < window;
  }

  private schedule(): void {
    this.draining ??= setImmediate(() => this.drain());
  }

  /** Sends up to one chunk, taking jobs in turn so that one framework's flood does not starve another's. */
  private drain(): void {
    this.draining = undefined;
    let budget = RECONCILE_CHUNK;
    const slice = Math.max(16, Math.ceil(RECONCILE_CHUNK / Math.max(1, this.queue.length)));
    while (budget > 0 && this.queue.length > 0) {
      const job = this.queue.shift()!;
      const framework = this.frameworks.get(job.frameworkId);
      let sent = 0;
      let finished = !framework;
      while (!finished && sent < Math.min(slice, budget)) {
        const next = job.answers.next();
        if (next.done) finished = true;
        else {
          sent++;
          if (next.value) this.forwarder.sendMasterUpdate(framework!, next.value);
        }
      }
      budget -= Math.max(1, sent);
      job.remaining -= sent;
      if (finished) this.release(job.frameworkId, sent + Math.max(0, job.remaining));
      else {
        this.release(job.frameworkId, sent);
        this.queue.push(job);
      }
    }
    if (this.queue.length > 0) this.schedule();
  }

  private release(frameworkId: string, answers: number): void {
    const left = (this.queued.get(frameworkId) ?? 0) - answers;
    if (left > 0) this.queued.set(frameworkId, left);
    else this.queued.delete(frameworkId);
  }
}
