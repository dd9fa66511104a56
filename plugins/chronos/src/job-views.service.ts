import { Inject, Injectable } from '@nestjs/common';
import { NotFoundError, type Clock } from '@pando/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';
import { renderGraphCsv, renderGraphDot } from './job-graph';
import { lastStatusOf, statsOf } from './job-stats';
import { JobStore } from './job-store.service';
import { jobState, toJobSummary, toJobView, type JobSummaryEntry } from './job-view';
import { JobPlanner } from './job-planner.service';
import { toRunView, type RunRecord, type RunView } from './run-record';
import { RunStore } from './run-store.service';
import { RunTracker } from './run-tracker.service';
import type { StoredJob } from './stored-job';
import { formatInstant } from './zoned-time';

export interface JobSearch {
  name?: string;
  command?: string;
  any?: string;
  limit?: number;
  offset?: number;
}

/** The JSON the read endpoints return, in Chronos's shapes (job views, summary, graph, stats) plus Pando's run history. */
@Injectable()
export class JobViews {
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

  job(name: string): Record<string, unknown> {
    return this.view(this.stored(name));
  }

  list(): Array<Record<string, unknown>> {
    return this.jobs.all().map((stored) => this.view(stored));
  }

  summary(): { jobs: JobSummaryEntry[] } {
    return { jobs: this.jobs.all().map((stored) => toJobSummary(stored.job, { state: this.stateOf(stored.job.name) })) };
  }

  /** Chronos's search: case-insensitive substrings of the name, the command, or (`any`) name, command, description or owner. */
  search(query: JobSearch): Array<Record<string, unknown>> {
    const has = (text: string | undefined, needle: string | undefined): boolean => needle === undefined || (text ?? '').toLowerCase().includes(needle.toLowerCase());
    const found = this.jobs.all().filter(({ job }) => {
      if (!has(job.name, query.name) || !has(job.command, query.command)) return false;
      return query.any === undefined || [job.name, job.command, job.description, job.owner].some((text) => has(text, query.any));
    });
    const offset = query.offset ?? 0;
    return found.slice(offset, query.limit === undefined ? undefined : offset + query.limit).map((stored) => this.view(stored));
  }

  graphCsv(): string {
    return renderGraphCsv(this.jobs.graph, (name) => {
      const stored = this.jobs.get(name);
      return { lastStatus: stored ? lastStatusOf(statsOf(stored.job)) : 'fresh', state: this.stateOf(name) };
    });
  }

  graphDot(): string {
    return renderGraphDot(this.jobs.graph);
  }

  /** The job's runs, newest first: stored ones, with the live state of those still going. */
  async runsOf(name: string, limit?: number): Promise<{ job: string; runs: RunView[] }> {
    this.stored(name);
    const stored = await this.runs.history(name);
    const live = new Map(this.tracker.liveRunsOf(name).map((l) => [l.record.runId, l.record]));
    const merged: RunRecord[] = stored.map((record) => live.get(record.runId) ?? record);
    for (const record of live.values()) if (!stored.some((r) => r.runId === record.runId)) merged.push(record);
    merged.sort((a, b) => b.scheduledAtMs - a.scheduledAtMs || b.runId.localeCompare(a.runId));
    return { job: name, runs: merged.slice(0, limit).map(toRunView) };
  }

  /** `GET /job/stat/<name>`: Chronos's duration histogram (ms) of the job's successful runs, and their history. */
  async stat(name: string): Promise<Record<string, unknown>> {
    this.stored(name);
    const history = await this.runs.history(name);
    const elapsed = history
      .filter((r) => r.state === 'succeeded' && r.endedAtMs !== undefined)
      .map((r) => ({ record: r, start: r.attempts.find((a) => a.startedAtMs !== undefined)?.startedAtMs ?? r.scheduledAtMs }))
      .map(({ record, start }) => ({ record, ms: Math.max(0, record.endedAtMs! - start) }));
    const sorted = elapsed.map((e) => e.ms).sort((a, b) => a - b);
    const pct = (p: number): number => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
    return {
      histogram: {
        '75thPercentile': pct(75),
        '95thPercentile': pct(95),
        '98thPercentile': pct(98),
        '99thPercentile': pct(99),
        median: pct(50),
        mean: sorted.length === 0 ? 0 : sorted.reduce((a, b) => a + b, 0) / sorted.length,
        count: sorted.length,
      },
      taskStatHistory: history.filter((r) => r.attempts.length > 0).map((r) => {
        const last = r.attempts[r.attempts.length - 1]!;
        return {
          taskId: last.taskId,
          jobName: r.job,
          slaveId: last.agentId ?? null,
          taskState: last.taskState ?? null,
          taskStartTs: last.startedAtMs === undefined ? null : formatInstant(last.startedAtMs),
          taskEndTs: r.endedAtMs === undefined ? null : formatInstant(r.endedAtMs),
          elapsedTime: last.startedAtMs !== undefined && r.endedAtMs !== undefined ? r.endedAtMs - last.startedAtMs : null,
        };
      }),
    };
  }

  private view(stored: StoredJob): Record<string, unknown> {
    const schedule = this.planner.scheduleOf(stored);
    const nextRunMs = schedule?.next(this.clock.now());
    return toJobView(stored.job, nextRunMs === undefined ? {} : { nextRunMs });
  }

  private stateOf(name: string): string {
    const going = this.tracker.goingRunsOf(name);
    const started = going.filter((run) => run.phase === 'launching' || run.phase === 'launched' || run.phase === 'unknown').length;
    return jobState(started, going.length > started);
  }

  private stored(name: string): StoredJob {
    const stored = this.jobs.get(name);
    if (!stored) throw new NotFoundError(`job '${name}' not found`);
    return stored;
  }
}
