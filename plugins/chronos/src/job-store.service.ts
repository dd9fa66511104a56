import { Inject, Injectable } from '@nestjs/common';
import { ConflictError, describeError, type Logger } from '@pando/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext, type PluginStore } from '@pando/sdk';
import { JobGraph } from './job-graph';
import { jobNameFromKey } from './job-name';
import type { StoredJob } from './stored-job';
import { jobStoreKey, JOBS_PREFIX } from './store-keys';

interface Entry {
  stored: StoredJob;
  revision: number;
}

/** How often a compare-and-set is retried after losing to another writer before giving up. */
const MAX_CAS_ATTEMPTS = 8;

/**
 * The jobs, cached in memory and kept in the plugin's KV bucket (`jobs.<jobKey>`), with the
 * dependency graph. Every write is a compare-and-set against the revision last read, made
 * under a per-job lock: writers in this process queue up, and a writer elsewhere (a second
 * leader during a failover) makes the write fail, the cache reload, and the change re-apply
 * to what that writer stored.
 */
@Injectable()
export class JobStore {
  private readonly entries = new Map<string, Entry>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly store: PluginStore;
  private readonly log: Logger;
  graph = new JobGraph();
  /** Told when a job was re-read after another writer changed it (its runs may be new to us). */
  private reloadListener: ((stored: StoredJob) => void) | undefined;

  constructor(@Inject(FRAMEWORK_PLUGIN_CONTEXT) context: FrameworkPluginContext) {
    this.store = context.store;
    this.log = context.log;
  }

  /** Reads every job. A job whose parents are missing or form a cycle is kept, disabled, and logged. */
  async load(): Promise<void> {
    const values = await this.store.list<StoredJob>(JOBS_PREFIX);
    this.entries.clear();
    for (const { key, value, revision } of values) {
      const name = jobNameFromKey(key.slice(JOBS_PREFIX.length));
      this.entries.set(name, { stored: { ...value, activeRuns: value.activeRuns ?? [] }, revision });
    }
    const { graph, rejected } = JobGraph.load([...this.entries.values()].map(({ stored }) => ({ name: stored.job.name, parents: stored.job.parents ?? [] })));
    this.graph = graph;
    for (const { name, problems } of rejected) {
      this.log.error({ job: name, problems }, `job '${name}' has broken dependencies and will not run as a dependent: ${problems.join('; ')}`);
    }
  }

  onReloaded(listener: (stored: StoredJob) => void): void {
    this.reloadListener = listener;
  }

  get(name: string): StoredJob | undefined {
    return this.entries.get(name)?.stored;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  names(): string[] {
    return [...this.entries.keys()].sort();
  }

  all(): StoredJob[] {
    return this.names().map((name) => this.entries.get(name)!.stored);
  }

  /** Runs `fn` with the job's lock held: one writer per job at a time in this process. */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(name) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(name, tail);
    void tail.then(() => {
      if (this.locks.get(name) === tail) this.locks.delete(name);
    });
    return run;
  }

  /**
   * Changes a job: `fn` gets the current value (undefined when there is none) and returns the
   * new one, or undefined for no change. Must be a pure function of its argument: after a lost
   * compare-and-set it runs again on the value the other writer stored. Call with the lock held.
   */
  async mutateLocked(name: string, fn: (current: StoredJob | undefined) => StoredJob | undefined): Promise<StoredJob | undefined> {
    for (let attempt = 1; ; attempt++) {
      const entry = this.entries.get(name);
      const next = fn(entry?.stored);
      if (next === undefined) return entry?.stored;
      try {
        await this.write(name, next, entry);
        return next;
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= MAX_CAS_ATTEMPTS) throw err;
        this.log.warn({ job: name, attempt, err: describeError(err) }, `job '${name}' was changed elsewhere; re-reading it`);
        await this.reload(name);
      }
    }
  }

  /** `mutateLocked` with the lock taken. */
  mutate(name: string, fn: (current: StoredJob | undefined) => StoredJob | undefined): Promise<StoredJob | undefined> {
    return this.withLock(name, () => this.mutateLocked(name, fn));
  }

  /**
   * Writes `next` only if the job is still as cached (one try, no re-apply): the commit point of
   * a plan whose records were written for what the cache said. Resolves false, with the cache
   * reloaded, when another writer got there first. Call with the lock held.
   */
  async commitLocked(name: string, expected: StoredJob, next: StoredJob): Promise<boolean> {
    const entry = this.entries.get(name);
    if (!entry || entry.stored !== expected) return false;
    try {
      await this.write(name, next, entry);
      return true;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      await this.reload(name);
      return false;
    }
  }

  /** Removes the job from the store and the cache. Call with the lock held. */
  async deleteLocked(name: string): Promise<void> {
    await this.store.delete(jobStoreKey(name));
    this.entries.delete(name);
  }

  /** Re-reads one job from the store (after a lost compare-and-set). */
  async reload(name: string): Promise<StoredJob | undefined> {
    const fresh = await this.store.get<StoredJob>(jobStoreKey(name));
    if (!fresh) {
      this.entries.delete(name);
      return undefined;
    }
    const stored = { ...fresh.value, activeRuns: fresh.value.activeRuns ?? [] };
    this.entries.set(name, { stored, revision: fresh.revision });
    this.reloadListener?.(stored);
    return stored;
  }

  private async write(name: string, next: StoredJob, entry: Entry | undefined): Promise<void> {
    const key = jobStoreKey(name);
    const revision = entry ? await this.store.update(key, next, entry.revision) : await this.store.create(key, next);
    this.entries.set(name, { stored: next, revision });
  }
}
