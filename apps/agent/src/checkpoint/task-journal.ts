import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskInfo } from '@pando/protocol';
import type { SentStatus } from '../status/status-update-manager';
import { fsyncDir, writeFileAtomic } from './atomic-file';

/** What changes rarely: the task itself and where it runs (written once per generation). */
export interface StoredTaskInfo {
  frameworkId: string;
  task?: TaskInfo;
  executor?: string;
  sandboxDir?: string;
  launchedAt?: number;
}

/** What changes with every update: the latest state and the unacknowledged updates. */
export interface StoredTaskState {
  latest?: SentStatus;
  pending: SentStatus[];
  terminal: boolean;
  executorData?: Record<string, unknown>;
}

/** One task as checkpointed. `completed`: its terminal update was acknowledged. */
export interface StoredTask {
  taskId: string;
  info: StoredTaskInfo;
  state: StoredTaskState;
  completed: boolean;
}

/** One journal line: replaces the parts it carries, or removes the task. */
interface JournalEntry {
  t: string;
  info?: StoredTaskInfo;
  state?: StoredTaskState;
  completed?: boolean;
  removed?: true;
}

interface Snapshot {
  version: 1;
  generation: number;
  tasks: StoredTask[];
}

export const SNAPSHOT_FILE = 'tasks.json';
const journalFile = (generation: number): string => `tasks.${generation}.journal`;

/**
 * The agent's task checkpoint: a snapshot (`tasks.json`, replaced atomically) plus an
 * append-only journal of the changes since (`tasks.<generation>.journal`, one JSON line per
 * changed task, fsynced once per batch). Appending costs one write and one fdatasync per batch,
 * whatever the number of tasks; the journal is folded into a new snapshot when it outgrows it.
 * A crash can only tear the journal's last line, which the reader drops.
 */
export class TaskJournal {
  private generation = 0;
  private journal?: FileHandle;
  private journalBytes = 0;
  private snapshotBytes = 0;

  constructor(readonly dir: string) {}

  /** Reads the snapshot and replays its journal. Missing files mean an empty checkpoint. */
  async load(): Promise<{ tasks: Map<string, StoredTask>; droppedLines: number }> {
    const tasks = new Map<string, StoredTask>();
    let snapshot: Snapshot | undefined;
    try {
      snapshot = JSON.parse(await readFile(join(this.dir, SNAPSHOT_FILE), 'utf8')) as Snapshot;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`unreadable task snapshot ${join(this.dir, SNAPSHOT_FILE)}: ${(err as Error).message}`);
    }
    if (snapshot) {
      this.generation = snapshot.generation;
      for (const task of snapshot.tasks) tasks.set(task.taskId, task);
    }
    let droppedLines = 0;
    let text = '';
    try {
      text = await readFile(join(this.dir, journalFile(this.generation)), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.length === 0) continue;
      let entry: JournalEntry;
      try {
        entry = JSON.parse(lines[i]!) as JournalEntry;
      } catch {
        // A torn write can only be the tail: nothing after it was acknowledged as written.
        droppedLines = lines.slice(i).filter((l) => l.length > 0).length;
        break;
      }
      apply(tasks, entry);
    }
    return { tasks, droppedLines };
  }

  /** Writes `tasks` as a new snapshot and starts a fresh journal after it. */
  async compact(tasks: Iterable<StoredTask>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const next = this.generation + 1;
    const body = JSON.stringify({ version: 1, generation: next, tasks: [...tasks] } satisfies Snapshot);
    // The new journal exists (empty) before the snapshot that names it.
    const journal = await open(join(this.dir, journalFile(next)), 'w', 0o600);
    await writeFileAtomic(join(this.dir, SNAPSHOT_FILE), body);
    const previous = this.journal;
    this.journal = journal;
    this.generation = next;
    this.journalBytes = 0;
    this.snapshotBytes = body.length;
    await previous?.close();
    await this.removeStaleJournals();
  }

  /** Appends changes durably (one write, one fdatasync). Call compact() once before. */
  async append(entries: readonly JournalEntry[]): Promise<void> {
    if (!this.journal) throw new Error('the task journal is not open');
    if (entries.length === 0) return;
    const text = `${entries.map((e) => JSON.stringify(e)).join('\n')}\n`;
    await this.journal.write(text);
    await this.journal.datasync();
    this.journalBytes += text.length;
  }

  /** Worth folding into a snapshot: the journal is big, and bigger than the snapshot. */
  get shouldCompact(): boolean {
    return this.journalBytes > 1_000_000 && this.journalBytes > 2 * this.snapshotBytes;
  }

  async close(): Promise<void> {
    await this.journal?.close();
    this.journal = undefined;
  }

  private async removeStaleJournals(): Promise<void> {
    const current = journalFile(this.generation);
    for (const name of await readdir(this.dir)) {
      if (/^tasks\.\d+\.journal$/.test(name) && name !== current) await unlink(join(this.dir, name)).catch(() => undefined);
    }
    await fsyncDir(this.dir);
  }
}

export type { JournalEntry };

function apply(tasks: Map<string, StoredTask>, entry: JournalEntry): void {
  if (entry.removed) {
    tasks.delete(entry.t);
    return;
  }
  const known = tasks.get(entry.t);
  const info = entry.info ?? known?.info;
  const state = entry.state ?? known?.state;
  // A state line for a task whose info line was lost cannot be used: skip it.
  if (!info || !state) return;
  tasks.set(entry.t, { taskId: entry.t, info, state, completed: entry.completed ?? known?.completed ?? false });
}
