import { Inject, Injectable } from '@nestjs/common';
import { describeError, type Clock, type Logger, type TimerHandle } from '@pando/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';
import { CHRONOS_OPTIONS } from './chronos.tokens';
import type { ChronosOptions } from './chronos.options';
import { isReadyToRun } from './job-graph';
import { nextPlanAtMs, planJob } from './job-plan';
import { parseSchedule } from './job-schedule';
import { parentCompletedAtMs, recordSkipped, statsOf, withStats } from './job-stats';
import { JobStore } from './job-store.service';
import { jobKind, type Job } from './job.schema';
import { RunEvents } from './run-events.service';
import { RunHistory } from './run-history.service';
import { RunLauncher } from './run-launcher.service';
import { runId } from './run-planner';
import { isRunOver, newRunRecord, type RunRecord } from './run-record';
import { RunStore } from './run-store.service';
import { RunTracker } from './run-tracker.service';
import type { Schedule } from './schedule';
import type { StoredJob } from './stored-job';

/**
 * The tick loop (every `tickMs`, on the plugin's Clock): records each scheduled job's runs
 * `planAheadMs` before their instants (run records claimed with create, then the job's
 * `handledThroughMs` moved by compare-and-set; only then are the runs handed to the tracker,
 * so a run is launched by the one leader whose job write won), and starts dependent jobs whose
 * parents have all completed since their last run. Also drives the tracker's and the
 * launcher's periodic checks.
 */
@Injectable()
export class JobPlanner {
  private readonly schedules = new Map<string, { job: Job; sinceMs: number; schedule: Schedule | undefined }>();
  /** When each job needs planning next; absent: as soon as possible; undefined: not until it changes. */
  private readonly planAt = new Map<string, number | undefined>();
  private readonly planning = new Set<string>();
  private readonly waitingToPlan: string[] = [];
  private inFlight = 0;
  private timer: TimerHandle | undefined;
  private stopped = true;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) context: FrameworkPluginContext,
    @Inject(CHRONOS_OPTIONS) private readonly options: ChronosOptions,
    private readonly jobs: JobStore,
    private readonly runs: RunStore,
    private readonly tracker: RunTracker,
    private readonly launcher: RunLauncher,
    private readonly history: RunHistory,
    private readonly events: RunEvents,
  ) {
    this.clock = context.clock;
    this.log = context.log;
    tracker.setUpcoming(() => this.nextInstantMs());
    jobs.onReloaded((stored) => void this.adoptForeign(stored));
    history.onCounted((record) => {
      if (record.state === 'succeeded' || record.state === 'failed') this.checkDependents(record.job);
    });
  }

  /** Loads the active runs of every job (after JobStore.load), then starts the loop. */
  /**
   * Loads the active runs of every job (after JobStore.load), plans every job once, then starts
   * the loop. Runs at bootstrap, before the driver subscribes: when the master's answers about
   * recovered runs arrive, every instant missed meanwhile is already known (catch-up rule).
   */
  async start(): Promise<void> {
    await this.recover();
    const now = this.clock.now();
    await Promise.all(
      this.jobs.names().map((name) =>
        this.jobs.withLock(name, () => this.planLocked(name)).catch((err: unknown) => {
          this.log.error({ job: name, err: describeError(err) }, `planning job '${name}' failed: ${describeError(err)}`);
          this.planAt.set(name, now + 1000);
        }),
      ),
    );
    await Promise.all(this.jobs.all().filter((s) => jobKind(s.job) === 'dependent').map((s) => this.triggerDependent(s.job.name)));
    this.stopped = false;
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The job changed (or was created or deleted): plan it again at the next tick. */
  invalidate(name: string): void {
    this.planAt.delete(name);
    this.schedules.delete(name);
  }

  /** The job's schedule, parsed once per version of the job. */
  scheduleOf(stored: StoredJob): Schedule | undefined {
    const cached = this.schedules.get(stored.job.name);
    if (cached && cached.job === stored.job && cached.sinceMs === stored.scheduleSinceMs) return cached.schedule;
    let schedule: Schedule | undefined;
    if (jobKind(stored.job) === 'scheduled') {
      try {
        schedule = parseSchedule(stored.job, { createdAtMs: stored.scheduleSinceMs });
      } catch (err) {
        this.log.error({ job: stored.job.name, err: describeError(err) }, `job '${stored.job.name}' has an unusable schedule: ${describeError(err)}`);
      }
    }
    this.schedules.set(stored.job.name, { job: stored.job, sinceMs: stored.scheduleSinceMs, schedule });
    return schedule;
  }

  /** The earliest instant a scheduled job will next be recorded for. */
  nextInstantMs(): number | undefined {
    let earliest: number | undefined;
    for (const at of this.planAt.values()) if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
    return earliest === undefined ? undefined : earliest + this.options.planAheadMs;
  }

  private tick(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    for (const name of this.jobs.names()) {
      if (this.planning.has(name)) continue;
      const at = this.planAt.get(name);
      if (this.planAt.has(name) && (at === undefined || at > now)) continue;
      this.planning.add(name);
      this.waitingToPlan.push(name);
    }
    this.pump();
    try {
      this.tracker.tick();
      this.launcher.tick();
    } catch (err) {
      this.log.error({ err: describeError(err) }, `chronos tick failed: ${describeError(err)}`);
    }
    this.timer = this.clock.setTimeout(() => this.tick(), this.options.tickMs);
  }

  /** Plans waiting jobs, `storeConcurrency` at a time. */
  private pump(): void {
    while (this.inFlight < this.options.storeConcurrency && this.waitingToPlan.length > 0) {
      const name = this.waitingToPlan.shift()!;
      this.inFlight++;
      this.jobs
        .withLock(name, () => this.planLocked(name))
        .catch((err: unknown) => {
          this.log.error({ job: name, err: describeError(err) }, `planning job '${name}' failed: ${describeError(err)}`);
          this.planAt.set(name, this.clock.now() + 1000);
        })
        .finally(() => {
          this.inFlight--;
          this.planning.delete(name);
          this.pump();
        });
    }
  }

  private async planLocked(name: string): Promise<void> {
    const stored = this.jobs.get(name);
    if (!stored || jobKind(stored.job) === 'dependent') {
      this.planAt.set(name, undefined);
      return;
    }
    const now = this.clock.now();
    const schedule = this.scheduleOf(stored);
    const plan = schedule ? planJob({ stored, schedule, nowMs: now, planAheadMs: this.options.planAheadMs, catchUp: this.options.catchUp }) : undefined;
    if (!plan) {
      this.planAt.set(name, nextPlanAtMs(stored, schedule, now, this.options.planAheadMs));
      return;
    }
    const claimed = await Promise.all([...plan.skips, ...plan.runs].map((record) => this.runs.claim(record)));
    let skipped = plan.skippedCount;
    const adopted: RunRecord[] = [];
    for (const result of claimed) {
      const wasSkip = plan.skips.some((s) => s.runId === result.record.runId);
      if (result.record.state === 'skipped') {
        // A skip a previous leader recorded but never counted (it died before its job write).
        if (!wasSkip && !result.created) skipped++;
        continue;
      }
      // An instant listed as skipped that a previous leader did record as a run: not a skip.
      if (wasSkip) skipped--;
      else if (result.created || (!isRunOver(result.record.state) && !stored.activeRuns.includes(result.record.runId))) adopted.push(result.record);
    }
    const next: StoredJob = {
      ...stored,
      handledThroughMs: plan.handledThroughMs,
      job: skipped > 0 ? withStats(stored.job, recordSkipped(statsOf(stored.job), skipped)) : stored.job,
      activeRuns: [...stored.activeRuns, ...adopted.map((r) => r.runId)],
    };
    if (!(await this.jobs.commitLocked(name, stored, next))) {
      this.planAt.delete(name);
      return;
    }
    this.schedules.set(name, { job: next.job, sinceMs: next.scheduleSinceMs, schedule });
    for (const record of claimed) if (record.created && record.record.state === 'skipped') this.events.emit('run_skipped', record.record, now);
    for (const record of adopted) this.events.emit('run_scheduled', record, now);
    this.tracker.adopt(adopted, 'planned');
    this.planAt.set(name, nextPlanAtMs(next, schedule, now, this.options.planAheadMs));
  }

  /** Reads the runs each job still has active and gives them to the tracker (after a restart or failover). */
  private async recover(): Promise<void> {
    const all = this.jobs.all();
    let recovered = 0;
    for (const stored of all) {
      const records = await Promise.all(stored.activeRuns.map((id) => this.runs.get(id)));
      const found = records.filter((r): r is RunRecord => r !== undefined);
      const missing = stored.activeRuns.filter((id) => !found.some((r) => r.runId === id));
      if (missing.length > 0) {
        this.log.warn({ job: stored.job.name, missing }, `job '${stored.job.name}' lists runs that are not stored; dropping them`);
        await this.jobs.mutate(stored.job.name, (current) => current && { ...current, activeRuns: current.activeRuns.filter((id) => !missing.includes(id)) });
      }
      this.tracker.adopt(found, 'recovered');
      recovered += found.length;
    }
    if (recovered > 0) this.log.info({ runs: recovered }, `recovered ${recovered} active runs; reconciling them with the master before launching any`);
  }

  /**
   * Another leader wrote this job (a failover overlap): the runs it made active are taken over
   * as recovered ones, so the master is asked about their tasks before anything is launched, and
   * nothing it started is lost if it goes away.
   */
  private async adoptForeign(stored: StoredJob): Promise<void> {
    const unknown = stored.activeRuns.filter((id) => !this.tracker.get(id));
    if (unknown.length === 0) return;
    const records = await Promise.all(unknown.map((id) => this.runs.get(id).catch(() => undefined)));
    this.tracker.adopt(records.filter((r): r is RunRecord => r !== undefined), 'recovered');
  }

  // ---- dependencies ----------------------------------------------------------------------------

  /** A parent completed: start each child whose parents have all completed since its last run. */
  checkDependents(parent: string): void {
    for (const child of this.jobs.graph.childrenOf(parent)) void this.triggerDependent(child);
  }

  private async triggerDependent(child: string): Promise<void> {
    try {
      await this.jobs.withLock(child, () => this.triggerLocked(child));
    } catch (err) {
      this.log.error({ job: child, err: describeError(err) }, `starting dependent job '${child}' failed: ${describeError(err)}`);
    }
  }

  private async triggerLocked(child: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const stored = this.jobs.get(child);
      if (!stored || stored.job.disabled || jobKind(stored.job) !== 'dependent') return;
      const parents = this.jobs.graph.parentsOf(child);
      const completions = new Map<string, number | undefined>();
      for (const parent of parents) {
        const p = this.jobs.get(parent);
        completions.set(parent, p ? parentCompletedAtMs(statsOf(p.job), p.job.softError) : undefined);
      }
      if (!isReadyToRun(parents, completions, stored.lastTriggerMs)) return;
      const triggerMs = Math.max(...[...completions.values()].map((v) => v ?? 0));
      const record = newRunRecord({ runId: runId(child, triggerMs), job: child, trigger: 'dependency', scheduledAtMs: triggerMs });
      const claim = await this.runs.claim(record);
      const run = claim.created || (!isRunOver(claim.record.state) && !stored.activeRuns.includes(claim.record.runId)) ? claim.record : undefined;
      const next: StoredJob = { ...stored, lastTriggerMs: triggerMs, activeRuns: run ? [...stored.activeRuns, run.runId] : stored.activeRuns };
      if (await this.jobs.commitLocked(child, stored, next)) {
        if (run) {
          this.events.emit('run_scheduled', run, this.clock.now());
          this.tracker.adopt([run], 'planned');
        }
        return;
      }
    }
  }
}
