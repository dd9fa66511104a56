import { Inject, Injectable } from '@nestjs/common';
import { ConflictError, InputError, NotFoundError, type Clock } from '@pando/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';
import { parseSchedule } from './job-schedule';
import { recordSuccess, statsOf, withStats } from './job-stats';
import { JobStore } from './job-store.service';
import { jobKind, parseJob, type Job, type JobKind } from './job.schema';
import { JobPlanner } from './job-planner.service';
import { manualRunId } from './run-planner';
import { newRunRecord, type RunRecord } from './run-record';
import { RunStore } from './run-store.service';
import { jobTaskProblems } from './run-task.factory';
import { RunTracker } from './run-tracker.service';
import { scheduleChanged, type StoredJob } from './stored-job';

/**
 * What the API changes: creating, replacing and deleting jobs, manual runs, marking success,
 * kills. Changes that touch the dependency graph run one at a time (so that two requests
 * cannot close a cycle between them); each job write is a compare-and-set under the job's lock.
 */
@Injectable()
export class JobAdmin {
  private graphLock: Promise<unknown> = Promise.resolve();
  private readonly clock: Clock;

  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) context: FrameworkPluginContext,
    private readonly jobs: JobStore,
    private readonly runs: RunStore,
    private readonly tracker: RunTracker,
    private readonly planner: JobPlanner,
  ) {
    this.clock = context.clock;
  }

  /** `POST /iso8601` and `/dependency`: validates everything first; a bad job changes nothing. */
  async upsert(body: unknown, kind: JobKind): Promise<Job> {
    const job = parseJob(body, { kind });
    const problems = jobTaskProblems(job);
    if (problems.length > 0) throw new InputError(`invalid job '${job.name}': ${problems.join('; ')}`, problems);
    if (kind === 'scheduled') parseSchedule(job, { createdAtMs: this.clock.now() });
    return this.serialized(async () => {
      const graphProblems = this.jobs.graph.check({ name: job.name, parents: job.parents ?? [] });
      if (graphProblems.length > 0) throw new InputError(`invalid job '${job.name}': ${graphProblems.join('; ')}`, graphProblems);
      await this.jobs.withLock(job.name, () => this.upsertLocked(job));
      this.jobs.graph.put({ name: job.name, parents: job.parents ?? [] });
      this.planner.invalidate(job.name);
      return job;
    });
  }

  private async upsertLocked(job: Job): Promise<void> {
    const now = this.clock.now();
    const current = this.jobs.get(job.name);
    // Runs recorded ahead for a schedule that no longer holds are withdrawn (and put back if the write fails).
    const withdraw = current && (scheduleChanged(current.job, job) || job.disabled) ? this.tracker.detachWaiting(job.name, now) : [];
    const withdrawn = new Set(withdraw.map((r) => r.runId));
    try {
      await this.jobs.mutateLocked(job.name, (stored) => (stored ? replaced(stored, job, now, withdrawn, this.previousInstant(stored, job, now)) : created(job, now)));
    } catch (err) {
      this.tracker.adopt(withdraw, 'planned');
      throw err;
    }
    await Promise.all(withdraw.map((record) => this.runs.delete(record.runId)));
  }

  /** When a disabled job is enabled again: the instant it slept through last, so that nothing before is replayed or reported. */
  private previousInstant(stored: StoredJob, job: Job, now: number): number | undefined {
    if (!stored.job.disabled || job.disabled || jobKind(job) !== 'scheduled') return undefined;
    try {
      return parseSchedule(job, { createdAtMs: stored.scheduleSinceMs }).previous(now);
    } catch {
      return undefined;
    }
  }

  /** `DELETE /job/<name>`: its children inherit its parents (409 if one would be left without); its tasks are killed. */
  async delete(name: string): Promise<void> {
    await this.serialized(async () => {
      if (!this.jobs.has(name)) throw new NotFoundError(`job '${name}' not found`);
      const { reparented } = this.jobs.graph.remove(name);
      for (const child of reparented) {
        await this.jobs.mutate(child.name, (stored) => stored && { ...stored, job: { ...stored.job, parents: [...child.parents] } });
        this.planner.invalidate(child.name);
      }
      this.tracker.dropJob(name);
      await this.jobs.withLock(name, () => this.jobs.deleteLocked(name));
      this.planner.invalidate(name);
      await this.runs.deleteAll(name);
    });
  }

  /** `PUT /job/<name>`: runs the job now (whatever its schedule), with `arguments` replacing the job's when given. */
  async runNow(name: string, args?: string[]): Promise<RunRecord> {
    if (!this.jobs.has(name)) throw new NotFoundError(`job '${name}' not found`);
    const record = await this.jobs.withLock(name, async () => {
      for (let at = this.clock.now(); ; at++) {
        const run = newRunRecord({ runId: manualRunId(name, at), job: name, trigger: 'manual', scheduledAtMs: at, arguments: args });
        const claim = await this.runs.claim(run);
        if (!claim.created) continue; // two requests in the same millisecond
        const stored = await this.jobs.mutateLocked(name, (current) => current && { ...current, activeRuns: [...current.activeRuns, run.runId] });
        if (!stored) throw new NotFoundError(`job '${name}' not found`);
        return run;
      }
    });
    this.tracker.adopt([record], 'planned');
    return record;
  }

  /** `PUT /job/success/<name>`: counts a success now and starts the dependents that became ready. */
  async markSuccess(name: string): Promise<void> {
    const now = this.clock.now();
    const stored = await this.jobs.mutate(name, (current) => current && { ...current, job: withStats(current.job, recordSuccess(statsOf(current.job), now)) });
    if (!stored) throw new NotFoundError(`job '${name}' not found`);
    this.planner.checkDependents(name);
  }

  /** `DELETE /task/kill/<name>`: kills the job's going runs (not retried). */
  kill(name: string): number {
    if (!this.jobs.has(name)) throw new NotFoundError(`job '${name}' not found`);
    return this.tracker.killJob(name, 'user');
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.graphLock.then(fn, fn);
    this.graphLock = run.catch(() => undefined);
    return run;
  }
}

function created(job: Job, now: number): StoredJob {
  // A new dependent job waits for its parents' next completions, not ones from before it existed.
  const stored: StoredJob = { job, createdAtMs: now, scheduleSinceMs: now, activeRuns: [] };
  if (jobKind(job) === 'dependent') stored.lastTriggerMs = now;
  return stored;
}

/** A replaced job keeps its statistics (the server's, not the posted ones), creation time and runs. */
function replaced(stored: StoredJob, job: Job, now: number, withdrawn: ReadonlySet<string>, sleptThrough: number | undefined): StoredJob {
  if (stored.job.name !== job.name) throw new ConflictError(`job '${job.name}' changed while being replaced`);
  const next: StoredJob = { ...stored, job: withStats(job, statsOf(stored.job)), activeRuns: stored.activeRuns.filter((id) => !withdrawn.has(id)) };
  if (scheduleChanged(stored.job, job)) {
    next.scheduleSinceMs = now;
    if (jobKind(job) === 'dependent') next.lastTriggerMs = now;
  }
  if (withdrawn.size > 0 && next.handledThroughMs !== undefined && next.handledThroughMs > now) next.handledThroughMs = now;
  if (sleptThrough !== undefined) next.handledThroughMs = Math.max(next.handledThroughMs ?? -Infinity, sleptThrough);
  return next;
}
