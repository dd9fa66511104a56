import { isTerminalState, type TaskInfo, type TaskReason, type TaskReport, type TaskState, type TaskStatus } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { statusTimeMs } from './status-time';
import { TaskBucket } from './task-bucket';
import { TaskRecord } from './task.record';

/**
 * What applying a status did: recorded it, or left the task alone (and why). `stale`: an agent's
 * update older than the agent's own latest status the master already has (see apply()); it is
 * still forwarded to the framework, but the task's state does not go back.
 */
export type ApplyOutcome = 'applied' | 'duplicate' | 'terminal' | 'stale';

/** A status the master made up itself (agent unreachable, task not reported): frameworks need it. */
export interface MasterStatus {
  task: TaskRecord;
  status: TaskStatus;
}

export interface ReconcileResult {
  /** Reported tasks the master did not have. */
  added: number;
  /** Reported tasks the master had (info refreshed, reported state taken). */
  refreshed: number;
  /** Tasks the master had on the agent that it no longer reports: now LOST. */
  lost: MasterStatus[];
  /** Reported tasks left alone, with why (terminal here, or known on another agent). */
  skipped: string[];
  /** Known tasks whose state the report changed (e.g. UNREACHABLE -> RUNNING): frameworks need to hear it. */
  changed: MasterStatus[];
}

/** The state a task the re-registering agent no longer reports takes (GONE for partition-aware frameworks). */
export type MissingTaskState = (task: TaskRecord) => 'LOST' | 'GONE';

const EMPTY_USED = Resources.empty();
const EMPTY_STATE_JSON: Readonly<Record<string, number | string>> = Object.freeze(Resources.empty().toStateJson());

/**
 * Every task the master knows, by task id. Non-terminal tasks live in `live` and in one bucket
 * of their agent and one of their framework (which keep used resources summed); a task that
 * reaches a terminal state moves to a bounded `completed` map (oldest evicted first).
 * Task ids are unique across frameworks here: operator kill and status acks name a task by id.
 */
export class TaskTable {
  private readonly live = new Map<string, TaskRecord>();
  private readonly completed = new Map<string, TaskRecord>();
  private readonly byAgent = new Map<string, TaskBucket>();
  private readonly byFramework = new Map<string, TaskBucket>();
  private readonly completionListeners: Array<(task: TaskRecord) => void> = [];

  constructor(private readonly completedLimit: number) {}

  /**
   * Calls `listener` whenever a task reaches a terminal state (after it left the live tasks), so
   * that what the task held can be given back (the allocator's books). Must not throw.
   */
  onCompleted(listener: (task: TaskRecord) => void): void {
    this.completionListeners.push(listener);
  }

  get liveCount(): number {
    return this.live.size;
  }

  get completedCount(): number {
    return this.completed.size;
  }

  get(taskId: string): TaskRecord | undefined {
    return this.live.get(taskId) ?? this.completed.get(taskId);
  }

  liveTasks(): IterableIterator<TaskRecord> {
    return this.live.values();
  }

  completedTasks(): IterableIterator<TaskRecord> {
    return this.completed.values();
  }

  /** Non-terminal tasks on one agent. */
  *tasksOnAgent(agentId: string): Generator<TaskRecord> {
    for (const id of this.byAgent.get(agentId)?.taskIds ?? []) yield this.live.get(id)!;
  }

  /** Non-terminal tasks of one framework. */
  *tasksOfFramework(frameworkId: string): Generator<TaskRecord> {
    for (const id of this.byFramework.get(frameworkId)?.taskIds ?? []) yield this.live.get(id)!;
  }

  /** How many non-terminal tasks a framework has. */
  liveCountOf(frameworkId: string): number {
    return this.byFramework.get(frameworkId)?.size ?? 0;
  }

  /** Frameworks with live tasks. */
  liveFrameworkIds(): IterableIterator<string> {
    return this.byFramework.keys();
  }

  /** Sum of the resources of the agent's non-terminal tasks (do not mutate). */
  usedOn(agentId: string): Resources {
    return this.byAgent.get(agentId)?.used ?? EMPTY_USED;
  }

  /** Sum of the resources of the framework's non-terminal tasks (do not mutate). */
  usedOf(frameworkId: string): Resources {
    return this.byFramework.get(frameworkId)?.used ?? EMPTY_USED;
  }

  usedStateJsonOn(agentId: string): Readonly<Record<string, number | string>> {
    return this.byAgent.get(agentId)?.usedStateJson() ?? EMPTY_STATE_JSON;
  }

  usedStateJsonOf(frameworkId: string): Readonly<Record<string, number | string>> {
    return this.byFramework.get(frameworkId)?.usedStateJson() ?? EMPTY_STATE_JSON;
  }

  /**
   * Adds a task the master launches (STAGING). The caller has checked that the id is new;
   * `resources` is info.resources parsed, when the caller has it already.
   */
  addLaunched(info: TaskInfo, now: number, resources?: Resources): TaskRecord {
    const task = this.insert(info, 'STAGING', false, resources);
    task.statuses.push({ state: 'STAGING', timestamp: now });
    return task;
  }

  /**
   * Applies a status to a task: a task in a terminal state never changes again, and an update
   * whose uuid was already applied is not applied twice (agents re-send until acknowledged).
   * After a failover an agent re-registers with its tasks' latest statuses and then re-sends the
   * updates the dead leader never acknowledged, which are older: those must not take the task
   * back (STARTING after RUNNING), or reconciliation would answer the old state for good.
   */
  apply(task: TaskRecord, status: TaskStatus, now: number): ApplyOutcome {
    if (status.uuid !== undefined && task.hasApplied(status.uuid)) return 'duplicate';
    if (isTerminalState(task.state)) return 'terminal';
    if (isOlderAgentStatus(task.latest, status, now)) return 'stale';
    task.record(status, statusTimeMs(status.timestamp, now));
    if (isTerminalState(status.state)) this.complete(task);
    return 'applied';
  }

  /**
   * Records a task the master learns of from a status update alone (e.g. right after a
   * restart, before its agent re-registered): the info is made up from the update, with no
   * resources, and replaced by the real one when the agent re-registers.
   */
  addFromStatus(agentId: string, status: TaskStatus, now: number): TaskRecord {
    const info: TaskInfo = {
      taskId: status.taskId,
      name: status.taskId,
      frameworkId: status.frameworkId,
      agentId,
      resources: [],
      executor: 'command',
    };
    const task = this.insert(info, status.state, true);
    task.record(status, statusTimeMs(status.timestamp, now));
    if (isTerminalState(status.state)) this.complete(task);
    return task;
  }

  /** The master's own status for a task (no uuid: nobody acknowledges it to an agent). */
  applyMasterStatus(task: TaskRecord, state: TaskState, reason: TaskReason, message: string, now: number): MasterStatus | undefined {
    const status: TaskStatus = {
      taskId: task.id,
      frameworkId: task.frameworkId,
      agentId: task.agentId,
      state,
      timestamp: now,
      source: 'SOURCE_MASTER',
      reason,
      message,
    };
    return this.apply(task, status, now) === 'applied' ? { task, status } : undefined;
  }

  /** The agent stopped heartbeating: each of its tasks becomes UNREACHABLE (not terminal). */
  markAgentUnreachable(agentId: string, now: number): MasterStatus[] {
    const changed: MasterStatus[] = [];
    for (const task of this.tasksOnAgent(agentId)) {
      if (task.state === 'UNREACHABLE') continue;
      const applied = this.applyMasterStatus(task, 'UNREACHABLE', 'REASON_AGENT_DISCONNECTED', 'agent stopped heartbeating', now);
      if (applied) changed.push(applied);
    }
    return changed;
  }

  /**
   * An agent (re-)registered with the tasks it runs: reported tasks are added or refreshed and
   * take their reported state; tasks the master had there that the agent does not report are
   * LOST. Costs O(tasks on the agent), never a scan of the table.
   */
  reconcileAgent(agentId: string, reports: readonly TaskReport[], now: number, missingState: MissingTaskState = () => 'LOST'): ReconcileResult {
    const result: ReconcileResult = { added: 0, refreshed: 0, lost: [], skipped: [], changed: [] };
    const reported = new Set<string>();
    for (const report of reports) {
      reported.add(report.task.taskId);
      this.reconcileOne(agentId, report, now, result);
    }
    const missing = [...this.tasksOnAgent(agentId)].filter((task) => !reported.has(task.id));
    for (const task of missing) {
      const lost = this.applyMasterStatus(task, missingState(task), 'REASON_AGENT_RESTARTED', 'not reported by re-registering agent', now);
      if (lost) result.lost.push(lost);
    }
    return result;
  }

  private reconcileOne(agentId: string, { task: info, status }: TaskReport, now: number, result: ReconcileResult): void {
    const known = this.live.get(info.taskId);
    if (!known) {
      if (this.completed.has(info.taskId)) {
        result.skipped.push(`task '${info.taskId}' is already terminal (${this.completed.get(info.taskId)!.state})`);
        return;
      }
      const task = this.insert(info, status.state, false);
      task.record(status, statusTimeMs(status.timestamp, now));
      if (isTerminalState(status.state)) this.complete(task);
      result.added++;
      return;
    }
    if (known.agentId !== agentId || known.frameworkId !== info.frameworkId) {
      result.skipped.push(`task '${info.taskId}' belongs to framework '${known.frameworkId}' on agent '${known.agentId}'`);
      return;
    }
    this.refreshInfo(known, info);
    // The reported state wins even when its uuid was applied before: the task may have been
    // marked UNREACHABLE by the master since.
    if (known.state !== status.state) {
      known.record(status, statusTimeMs(status.timestamp, now));
      result.changed.push({ task: known, status });
      if (isTerminalState(status.state)) this.complete(known);
    } else if (status.healthy !== undefined) {
      known.healthy = status.healthy;
    }
    result.refreshed++;
  }

  private refreshInfo(task: TaskRecord, info: TaskInfo): void {
    const resources = Resources.fromJson(info.resources);
    if (!resources.equals(task.resources)) {
      this.byAgent.get(task.agentId)?.replaceResources(task.resources, resources);
      this.byFramework.get(task.frameworkId)?.replaceResources(task.resources, resources);
      task.resources = resources;
    }
    task.info = info;
    task.partial = false;
  }

  private insert(info: TaskInfo, state: TaskState, partial: boolean, resources = Resources.fromJson(info.resources)): TaskRecord {
    const task = new TaskRecord(info, resources, state, partial);
    this.live.set(task.id, task);
    bucket(this.byAgent, task.agentId).add(task);
    bucket(this.byFramework, task.frameworkId).add(task);
    return task;
  }

  private complete(task: TaskRecord): void {
    this.live.delete(task.id);
    unbucket(this.byAgent, task.agentId, task);
    unbucket(this.byFramework, task.frameworkId, task);
    if (this.completedLimit > 0) {
      this.completed.set(task.id, task);
      if (this.completed.size > this.completedLimit) {
        this.completed.delete(this.completed.keys().next().value!);
      }
    }
    for (const listener of this.completionListeners) listener(task);
  }
}

function bucket(buckets: Map<string, TaskBucket>, key: string): TaskBucket {
  let found = buckets.get(key);
  if (!found) {
    found = new TaskBucket();
    buckets.set(key, found);
  }
  return found;
}

// Empty buckets are dropped so that 10,000s of idle agents cost nothing here.
function unbucket(buckets: Map<string, TaskBucket>, key: string, task: TaskRecord): void {
  const found = buckets.get(key);
  if (!found) return;
  found.remove(task);
  if (found.size === 0) buckets.delete(key);
}

/** Both from the agent's side (its clock) and `status` generated before `latest`. */
function isOlderAgentStatus(latest: TaskStatus | undefined, status: TaskStatus, now: number): boolean {
  if (!latest || latest.source === 'SOURCE_MASTER' || status.source === 'SOURCE_MASTER') return false;
  return statusTimeMs(status.timestamp, now) < statusTimeMs(latest.timestamp, now);
}
