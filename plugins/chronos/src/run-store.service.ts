import { Inject, Injectable } from '@nestjs/common';
import { ConflictError, describeError, type Logger } from '@pando/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext, type PluginStore } from '@pando/sdk';
import { CHRONOS_OPTIONS } from './chronos.tokens';
import type { ChronosOptions } from './chronos.options';
import { isRunOver, type RunRecord } from './run-record';
import { runKeyTimeMs, runsPrefixOf, runStoreKey } from './store-keys';

/** What `claim` found: the record is ours (created now), or the one already stored under its id. */
export type ClaimResult = { created: true; record: RunRecord } | { created: false; record: RunRecord };

/**
 * Run records (`runs.<jobKey>.<instant>`): claimed with create (compare-and-set on absence) before
 * anything is launched, then rewritten as the run goes on. Writes of one run are chained, so they
 * land in the order they were made even when the caller does not wait for them. Each job keeps
 * its `historySize` most recent runs; older finished ones are deleted.
 */
@Injectable()
export class RunStore {
  private readonly store: PluginStore;
  private readonly log: Logger;
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Run keys per job, once listed (for pruning without listing every time). */
  private readonly counts = new Map<string, number>();

  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) context: FrameworkPluginContext,
    @Inject(CHRONOS_OPTIONS) private readonly options: ChronosOptions,
  ) {
    this.store = context.store;
    this.log = context.log;
  }

  /** Creates the record unless its run id is taken; then returns the stored one instead. */
  async claim(record: RunRecord): Promise<ClaimResult> {
    const key = runStoreKey(record.runId);
    try {
      await this.store.create(key, record);
      this.bump(record.job, 1);
      return { created: true, record };
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      const existing = await this.store.get<RunRecord>(key);
      // Deleted between the two calls (the job was deleted): claiming again is the caller's choice.
      if (!existing) throw err;
      return { created: false, record: existing.value };
    }
  }

  /** Writes the record (after the writes of the same run made before it). */
  save(record: RunRecord): Promise<void> {
    const copy = structuredClone(record);
    return this.chain(record.runId, () => this.store.put(runStoreKey(record.runId), copy).then(() => undefined));
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    return (await this.store.get<RunRecord>(runStoreKey(runId)))?.value;
  }

  /** The job's runs, newest first. */
  async history(job: string): Promise<RunRecord[]> {
    const values = await this.store.list<RunRecord>(runsPrefixOf(job));
    return values.map((v) => v.value).sort((a, b) => b.scheduledAtMs - a.scheduledAtMs || b.runId.localeCompare(a.runId));
  }

  /**
   * Deletes the oldest finished runs beyond `historySize`. Listing a job's keys costs a KV
   * consumer, so it is done only once the runs recorded since the last listing could have
   * pushed the job past its limit (a job never listed counts as full): about once every
   * `historySize / 5` runs.
   */
  async prune(job: string, active: ReadonlySet<string>): Promise<void> {
    const slack = Math.max(1, Math.floor(this.options.historySize / 5));
    if (!this.counts.has(job)) this.counts.set(job, this.options.historySize);
    if (this.counts.get(job)! <= this.options.historySize + slack) return;
    const prefix = runsPrefixOf(job);
    const keys = (await this.store.keys(prefix)).sort((a, b) => runKeyTimeMs(a) - runKeyTimeMs(b));
    let excess = keys.length - this.options.historySize;
    let deleted = 0;
    for (const key of keys) {
      if (excess <= 0) break;
      const runId = `${key.slice('runs.'.length, key.lastIndexOf('.'))}-${key.slice(key.lastIndexOf('.') + 1)}`;
      if (active.has(runId)) continue;
      const record = await this.store.get<RunRecord>(key);
      if (record && !isRunOver(record.value.state)) continue;
      await this.store.delete(key);
      excess--;
      deleted++;
    }
    this.counts.set(job, keys.length - deleted);
  }

  /** Deletes one run (withdrawn before it started). */
  async delete(runId: string): Promise<void> {
    await this.chain(runId, () => this.store.delete(runStoreKey(runId)));
  }

  /** Deletes every run of the job (the job is being deleted). */
  async deleteAll(job: string): Promise<void> {
    for (const key of await this.store.keys(runsPrefixOf(job))) {
      await this.store.delete(key).catch((err: unknown) => this.log.warn({ key, err: describeError(err) }, `failed to delete run ${key}`));
    }
    this.counts.delete(job);
  }

  /** Resolves when every write made so far has landed (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  private bump(job: string, by: number): void {
    this.counts.set(job, (this.counts.get(job) ?? this.options.historySize) + by);
  }

  private chain(runId: string, write: () => Promise<void>): Promise<void> {
    const previous = this.chains.get(runId) ?? Promise.resolve();
    const next = previous.then(write, write);
    const tail = next.catch(() => undefined);
    this.chains.set(runId, tail);
    void tail.then(() => {
      if (this.chains.get(runId) === tail) this.chains.delete(runId);
    });
    return next;
  }
}
