import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { createLogger, describeError, type Logger } from '@pando/common';
import { AGENT_CONFIG, type AgentConfig } from '../agent.options';
import { StatusUpdateManager, type CompletedTask, type RecordChange, type TaskRecord } from '../status/status-update-manager';
import { TaskJournal, type JournalEntry, type StoredTask } from './task-journal';

/** Changes are written at most this long after they happen (one write + one fsync per batch). */
export const CHECKPOINT_BATCH_MS = 20;
const FAILURE_LOG_EVERY_MS = 30_000;

/** What a restarted agent reads back. */
export interface LoadedTasks {
  records: TaskRecord[];
  completed: CompletedTask[];
  /** Journal lines lost to a torn write (only the last batch before a crash can be). */
  droppedLines: number;
}

/**
 * Checkpoints the agent's task table (StatusUpdateManager) into `<workDir>/checkpoint/`: every
 * change marks its task dirty, and dirty tasks are written together within CHECKPOINT_BATCH_MS
 * (one journal append and one fdatasync per batch, at most one batch in flight), so thousands of
 * updates per second cost tens of writes, not thousands.
 *
 * Why batching is safe: status updates are sent to the master without waiting for the write, and
 * the agent never acknowledges anything itself. A crash can only lose the last few ms of changes,
 * and those are derived again after the restart: executors' recover() reports what the tasks
 * really are (from the supervisor's exit status, the container's state), and an update the
 * master already had is simply applied twice (it deduplicates by uuid; a repeated state is
 * harmless). What must never be lost, the agent's id, is written synchronously (AgentCheckpoint).
 */
@Injectable()
export class TaskCheckpointer {
  private readonly log: Logger = createLogger('agent.checkpoint');
  private readonly journal: TaskJournal;
  /** Dirty tasks and whether their info part must be written too. */
  private dirty = new Map<string, boolean>();
  /** Tasks whose info is in the current generation (snapshot or journal). */
  private readonly infoWritten = new Set<string>();
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;
  private started = false;
  private stopped = false;
  private lastFailureLog = 0;

  constructor(
    @Inject(AGENT_CONFIG) config: AgentConfig,
    private readonly statusUpdates: StatusUpdateManager,
  ) {
    this.journal = new TaskJournal(join(config.workDir, 'checkpoint'));
    statusUpdates.onChange((taskId, change) => this.markDirty(taskId, change));
  }

  get dir(): string {
    return this.journal.dir;
  }

  /** Reads the checkpoint (before start()). A broken snapshot is logged and treated as empty. */
  async load(): Promise<LoadedTasks> {
    let stored: Map<string, StoredTask>;
    let droppedLines = 0;
    try {
      ({ tasks: stored, droppedLines } = await this.journal.load());
    } catch (err) {
      this.log.error({ dir: this.dir, err: describeError(err) }, 'cannot read the task checkpoint; recovering no tasks');
      return { records: [], completed: [], droppedLines: 0 };
    }
    if (droppedLines > 0) this.log.warn({ droppedLines }, 'dropped a torn tail of the task journal (changes of the last batch before a crash)');
    const records: TaskRecord[] = [];
    const completed: CompletedTask[] = [];
    for (const task of stored.values()) {
      if (task.completed && task.info.task && task.state.latest) {
        completed.push({ task: task.info.task, executor: task.info.executor, sandboxDir: task.info.sandboxDir, status: task.state.latest });
      } else if (!task.completed) {
        records.push(toRecord(task));
      }
    }
    completed.sort((a, b) => a.status.timestamp - b.status.timestamp);
    return { records, completed, droppedLines };
  }

  /** Writes a fresh snapshot of the current table, then journals every change. */
  async start(): Promise<void> {
    await this.journal.compact(this.everything());
    this.dirty.clear();
    this.started = true;
  }

  /** Waits until every change made so far is on disk. */
  async flush(): Promise<void> {
    while (this.started && (this.inFlight || this.dirty.size > 0)) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      await (this.inFlight ?? this.write());
    }
  }

  async stop(): Promise<void> {
    await this.flush();
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.journal.close();
  }

  private markDirty(taskId: string, change: RecordChange): void {
    if (this.stopped) return;
    const withInfo = change !== 'state' || !this.infoWritten.has(taskId);
    this.dirty.set(taskId, (this.dirty.get(taskId) ?? false) || withInfo);
    if (this.started && !this.timer && !this.inFlight) this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, CHECKPOINT_BATCH_MS);
    this.timer.unref();
  }

  private write(): Promise<void> {
    const batch = this.dirty;
    this.dirty = new Map();
    this.inFlight = this.writeBatch(batch).finally(() => {
      this.inFlight = undefined;
      if (this.dirty.size > 0 && !this.stopped && !this.timer) this.schedule();
    });
    return this.inFlight;
  }

  private async writeBatch(batch: Map<string, boolean>): Promise<void> {
    const entries: JournalEntry[] = [];
    for (const [taskId, withInfo] of batch) entries.push(this.entryFor(taskId, withInfo));
    try {
      await this.journal.append(entries);
      for (const entry of entries) {
        if (entry.removed) this.infoWritten.delete(entry.t);
        else if (entry.info) this.infoWritten.add(entry.t);
      }
      if (this.journal.shouldCompact) {
        await this.journal.compact(this.everything());
      }
    } catch (err) {
      // Keep the batch for the next try; a full disk must not stop the agent.
      for (const [taskId, withInfo] of batch) this.dirty.set(taskId, (this.dirty.get(taskId) ?? false) || withInfo);
      if (Date.now() - this.lastFailureLog >= FAILURE_LOG_EVERY_MS) {
        this.lastFailureLog = Date.now();
        this.log.error({ dir: this.dir, err: describeError(err) }, 'cannot write the task checkpoint; retrying');
      }
      await new Promise((r) => setTimeout(r, 500).unref());
    }
  }

  private entryFor(taskId: string, withInfo: boolean): JournalEntry {
    const record = this.statusUpdates.get(taskId);
    if (record) {
      const stored = toStored(record);
      return withInfo ? { t: taskId, info: stored.info, state: stored.state, completed: false } : { t: taskId, state: stored.state };
    }
    const completed = this.statusUpdates.getCompleted(taskId);
    if (completed) return { t: taskId, ...completedToStored(completed), completed: true };
    return { t: taskId, removed: true };
  }

  /** The whole table, for a snapshot (also marks every info as written). */
  private everything(): StoredTask[] {
    const snapshot = this.statusUpdates.snapshot();
    const tasks = [...snapshot.tasks.map(toStored), ...snapshot.completed.map((c) => ({ taskId: c.task.taskId, ...completedToStored(c), completed: true }))];
    this.infoWritten.clear();
    for (const task of tasks) this.infoWritten.add(task.taskId);
    return tasks;
  }
}

function toStored(record: Readonly<TaskRecord>): StoredTask {
  return {
    taskId: record.taskId,
    info: { frameworkId: record.frameworkId, task: record.task, executor: record.executor, sandboxDir: record.sandboxDir, launchedAt: record.launchedAt },
    state: { latest: record.latest, pending: [...record.pending], terminal: record.terminal, executorData: record.executorData },
    completed: false,
  };
}

function completedToStored(c: Readonly<CompletedTask>): Pick<StoredTask, 'info' | 'state'> {
  return {
    info: { frameworkId: c.task.frameworkId, task: c.task, executor: c.executor, sandboxDir: c.sandboxDir },
    state: { latest: c.status, pending: [], terminal: true },
  };
}

function toRecord(task: StoredTask): TaskRecord {
  const record: TaskRecord = {
    taskId: task.taskId,
    frameworkId: task.info.frameworkId,
    pending: task.state.pending ?? [],
    terminal: task.state.terminal === true,
  };
  if (task.info.task) record.task = task.info.task;
  if (task.info.executor) record.executor = task.info.executor;
  if (task.info.sandboxDir) record.sandboxDir = task.info.sandboxDir;
  if (task.info.launchedAt !== undefined) record.launchedAt = task.info.launchedAt;
  if (task.state.latest) record.latest = task.state.latest;
  if (task.state.executorData) record.executorData = task.state.executorData;
  return record;
}
