import { Inject, Injectable } from '@nestjs/common';
import { describeError, type Clock, type Logger } from '@pando/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';
import { JobStore } from './job-store.service';
import { recordFailure, recordSkipped, recordSuccess, statsOf, withStats, type JobStats } from './job-stats';
import { RunStore } from './run-store.service';
import { isRunOver, type RunRecord } from './run-record';
import type { StoredJob } from './stored-job';

/** Called once a finished run is counted in its job (dependents may be due). */
export type RunCountedListener = (record: RunRecord) => void;

const RETRY_SAVE_MS = [200, 500, 1000, 2000, 5000];

/**
 * Ends runs durably and counts them. A run is over when its record says so in the store; it is
 * counted (statistics, `activeRuns`) by a later compare-and-set on the job, which removes it
 * from `activeRuns` in the same write: so a run is counted exactly once, also when the process
 * dies between the two writes (the next leader finds it over but still active, and counts it).
 */
@Injectable()
export class RunHistory {
  private readonly clock: Clock;
  private readonly log: Logger;
  private listener: RunCountedListener | undefined;

  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) context: FrameworkPluginContext,
    private readonly jobs: JobStore,
    private readonly runs: RunStore,
  ) {
    this.clock = context.clock;
    this.log = context.log;
  }

  onCounted(listener: RunCountedListener): void {
    this.listener = listener;
  }

  /** Writes a record that is not over (a start, a retry); ordered after the run's earlier writes. */
  save(record: RunRecord): Promise<void> {
    return this.runs.save(record);
  }

  /**
   * Writes the finished record, then counts it (not waited for). Rejects when the write failed:
   * the caller then leaves the task's update unacknowledged; the write is retried meanwhile.
   */
  async finish(record: RunRecord): Promise<void> {
    const copy = structuredClone(record);
    try {
      await this.runs.save(copy);
    } catch (err) {
      this.log.error({ runId: record.runId, err: describeError(err) }, `failed to record the end of run ${record.runId}: ${describeError(err)}; retrying`);
      this.retrySave(copy, 0);
      throw err;
    }
    void this.count(copy);
  }

  /** Counts a run already recorded as over (also used for runs found over but still active after a failover). */
  async count(record: RunRecord): Promise<void> {
    if (!isRunOver(record.state)) return;
    try {
      const applied = await this.jobs.withLock(record.job, async () => {
        // Not active in the cache: counted already, or another leader made it active (re-read to know).
        if (!this.jobs.get(record.job)?.activeRuns.includes(record.runId)) await this.jobs.reload(record.job);
        if (!this.jobs.get(record.job)?.activeRuns.includes(record.runId)) return undefined;
        return this.jobs.mutateLocked(record.job, (current) => countRun(current, record));
      });
      if (applied) {
        await this.runs.prune(record.job, new Set(applied.activeRuns));
        this.listener?.(record);
      }
    } catch (err) {
      this.log.error({ runId: record.runId, err: describeError(err) }, `failed to count run ${record.runId} in job '${record.job}': ${describeError(err)}`);
    }
  }

  private retrySave(record: RunRecord, attempt: number): void {
    const delay = RETRY_SAVE_MS[Math.min(attempt, RETRY_SAVE_MS.length - 1)]!;
    this.clock.setTimeout(() => {
      this.runs.save(record).then(
        () => void this.count(record),
        () => this.retrySave(record, attempt + 1),
      );
    }, delay);
  }
}

/** The job with the run counted and out of `activeRuns`; undefined when it was counted already (or the job is gone). */
export function countRun(current: StoredJob | undefined, record: RunRecord): StoredJob | undefined {
  if (!current || !current.activeRuns.includes(record.runId)) return undefined;
  const at = record.endedAtMs ?? record.scheduledAtMs;
  let stats: JobStats = statsOf(current.job);
  if (record.state === 'succeeded') stats = recordSuccess(stats, at);
  else if (record.state === 'skipped') stats = recordSkipped(stats);
  else stats = recordFailure(stats, at);
  return { ...current, job: withStats(current.job, stats), activeRuns: current.activeRuns.filter((id) => id !== record.runId) };
}
