import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { describeError, type Clock, type Logger } from '@pando/common';
import { isTerminalState, type TaskStatus } from '@pando/protocol';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext, type SchedulerDriver } from '@pando/sdk';
import { CHRONOS_OPTIONS } from './chronos.tokens';
import type { ChronosOptions } from './chronos.options';
import { WakeQueue } from './due-queue';
import { JobStore } from './job-store.service';
import { epsilonMsOf, type Job } from './job.schema';
import { RunEvents } from './run-events.service';
import { RunHistory } from './run-history.service';
import { RunLauncher, type LaunchRequest } from './run-launcher.service';
import { finalStateOf, meaningOf } from './run-outcome';
import { currentTaskId, isActive, isGoing, LiveRuns, requestOf, taskRef, type LiveRun, type RunPhase } from './live-runs';
import { completionDeadlineMs, decideJobConcurrency, decideRetry } from './run-policy';
import { attemptOf, isRunOver, type RunKillReason, type RunRecord, type RunSkipReason, type RunState } from './run-record';

/** The longest a RUNNING update's acknowledgement waits for the launches in flight. */
const ACK_HOLD_MS = 300;

/**
 * Every run not over, and the rules that move it: activation at its instant (epsilon,
 * concurrencyPolicy), one attempt at a time through the launcher, task updates, retries with
 * backoff, maxCompletionTime, kills, and re-attaching runs recovered after a failover through
 * reconciliation before anything is launched again. The record is written when a task starts
 * running (not waited for) and when the run ends (waited for, before the update is acknowledged).
 */
@Injectable()
export class RunTracker implements OnModuleDestroy {
  private readonly runs = new LiveRuns();
  /** Runs waiting for their instant, and retries for their backoff. */
  private readonly due: WakeQueue;
  /** Runs whose instant came while the master was out of reach: decided once it is back. */
  private readonly pendingActivation = new Set<string>();
  private lastReconcileMs = 0;
  private upcoming: () => number | undefined = () => undefined;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext,
    @Inject(CHRONOS_OPTIONS) private readonly options: ChronosOptions,
    private readonly jobs: JobStore,
    private readonly launcher: RunLauncher,
    private readonly history: RunHistory,
    private readonly events: RunEvents,
  ) {
    this.clock = context.clock;
    this.log = context.log;
    this.due = new WakeQueue(this.clock, (ids, now) => this.onDue(ids, now));
    launcher.setListener({
      jobOf: (request) => this.jobOfRequest(request),
      launching: (request, agentId) => this.launching(request, agentId),
      notLaunched: (request) => this.requeue(request),
      nextDemandMs: () => this.nextDemandMs(),
    });
  }

  private get driver(): SchedulerDriver {
    return this.context.driver;
  }

  /**
   * Runs are decided (started, skipped) only while the driver is subscribed: a host cut off from
   * the master, such as an old leader whose lease is running out, leaves the decision to the
   * host that can act on it, and a run whose instant passed meanwhile is judged against epsilon
   * when the master is back.
   */
  private get connected(): boolean {
    return this.driver?.state === 'subscribed';
  }

  /** The plugin stops (leadership ends): no timer of it fires any more. */
  onModuleDestroy(): void {
    this.due.stop();
    for (const live of this.runs.all()) this.clearDeadline(live);
  }

  /** Tells the tracker when the planner will next record runs (for the launcher's offer policy). */
  setUpcoming(upcoming: () => number | undefined): void {
    this.upcoming = upcoming;
  }

  get(runId: string): LiveRun | undefined {
    return this.runs.get(runId);
  }

  liveRunsOf(job: string): LiveRun[] {
    return this.runs.ofJob(job);
  }

  /**
   * Runs of the job that are going (for concurrency and the `<n> running` state). A recovered run
   * that never started is not: the master is asked first whether it was launched at all.
   */
  goingRunsOf(job: string): LiveRun[] {
    return this.liveRunsOf(job).filter(isGoing);
  }

  /** How many live runs are in each phase (metrics). */
  phaseCounts(): Record<RunPhase, number> {
    return this.runs.phaseCounts();
  }

  // ---- adopting runs ----------------------------------------------------------------------------

  /**
   * Takes over runs the planner recorded (`planned`: never launched) or found active in the store
   * (`recovered`: maybe launched by a previous leader). Idempotent per run id.
   */
  adopt(records: readonly RunRecord[], origin: 'planned' | 'recovered'): void {
    const now = this.clock.now();
    for (const record of records) {
      if (this.runs.has(record.runId)) continue;
      if (isRunOver(record.state)) {
        void this.history.count(record);
        continue;
      }
      const live: LiveRun = { record, phase: 'waiting' };
      this.runs.add(live);
      if (origin === 'planned' || (record.state === 'scheduled' && record.scheduledAtMs > now)) {
        this.due.add(record.runId, record.scheduledAtMs);
      } else if (record.state === 'retrying' && (record.nextAttemptAtMs ?? 0) > now) {
        live.phase = 'retry-wait';
        this.due.add(record.runId, record.nextAttemptAtMs!);
      } else {
        // Its current attempt may have been launched before the failover: ask the master first.
        // It counts as catching up: a later run waits for it instead of being skipped (its end
        // may reach us late: an agent re-sends the updates nobody acknowledged with a backoff).
        live.phase = 'unknown';
        record.catchUp = true;
        this.runs.mapTask(live);
        this.armDeadline(live);
      }
    }
  }

  /** Removes the job's runs still waiting for their instant (a schedule change, a disabled or deleted job). */
  detachWaiting(job: string, afterMs: number): RunRecord[] {
    const detached: RunRecord[] = [];
    for (const live of this.liveRunsOf(job)) {
      if (live.phase !== 'waiting' || live.record.scheduledAtMs <= afterMs) continue;
      this.unregister(live);
      detached.push(live.record);
    }
    return detached;
  }

  /** Forgets the job's runs (its job is deleted), killing their tasks. */
  dropJob(job: string): void {
    for (const live of this.liveRunsOf(job)) {
      if (live.phase === 'launching' || live.phase === 'launched' || live.phase === 'unknown') this.sendKill(live);
      this.unregister(live);
    }
  }

  // ---- time ----------------------------------------------------------------------------------

  private onDue(ids: readonly string[], now: number): void {
    for (const runId of ids) {
      const live = this.runs.get(runId);
      if (!live) continue;
      if (live.phase === 'retry-wait') this.startAttempt(live);
      else if (live.phase === 'waiting') this.pendingActivation.add(runId);
    }
    this.activatePending(now);
  }

  /**
   * Decides the runs whose instant has come, once the master is reachable. A run of a job that
   * still has a run of unknown state (recovered, its task asked about) waits for the answer: its
   * concurrencyPolicy cannot be applied before it is known whether that run is going.
   */
  private activatePending(now: number): void {
    if (this.pendingActivation.size === 0 || !this.connected) return;
    const pending = [...this.pendingActivation].map((id) => this.runs.get(id)).filter((live): live is LiveRun => live?.phase === 'waiting');
    this.pendingActivation.clear();
    // Oldest instant first: runs catching up start in the order they were due.
    pending.sort((a, b) => a.record.scheduledAtMs - b.record.scheduledAtMs);
    for (const live of pending) {
      const waitsForUnknown = this.liveRunsOf(live.record.job).some((other) => other !== live && other.phase === 'unknown');
      if (waitsForUnknown || !this.activate(live, now)) this.pendingActivation.add(live.record.runId);
    }
  }

  /** Every tick: queued scheduled runs past epsilon are skipped; unknown runs are reconciled; kills re-sent. */
  tick(): void {
    const now = this.clock.now();
    this.activatePending(now);
    if (!this.connected) return;
    const reconcileDue = now - this.lastReconcileMs >= this.options.reconcileIntervalMs;
    const toReconcile: Array<{ taskId: string; agentId?: string }> = [];
    for (const live of this.runs.all()) {
      if (live.phase === 'queued' && this.pastEpsilon(live, now)) {
        this.launcher.cancel(currentTaskId(live));
        void this.endRun(live, 'skipped', { skipReason: 'missed' }).catch(() => undefined);
        continue;
      }
      if (!reconcileDue) continue;
      if (live.phase === 'unknown') toReconcile.push(taskRef(live));
      if (live.record.killReason && live.phase !== 'queued' && now - (live.killSentAtMs ?? 0) >= this.options.reconcileIntervalMs) this.sendKill(live);
    }
    if (reconcileDue) {
      this.lastReconcileMs = now;
      if (toReconcile.length > 0) this.reconcile(toReconcile);
    }
  }

  /** The earliest instant a run is waiting for (or a retry), or the planner's next one. */
  nextDemandMs(): number | undefined {
    const mine = this.due.earliest();
    const planned = this.upcoming();
    if (mine === undefined) return planned;
    return planned === undefined ? mine : Math.min(mine, planned);
  }

  // ---- activation and attempts -----------------------------------------------------------------

  /**
   * The run's instant has come: epsilon, then the job's concurrencyPolicy, decide whether it
   * starts. A run catching up after a downtime is not skipped under Forbid: it waits for the run
   * before it (false: still waiting), as long as it is within epsilon.
   */
  private activate(live: LiveRun, now: number): boolean {
    const job = this.jobOf(live);
    if (!job) {
      this.unregister(live);
      return true;
    }
    if (this.pastEpsilon(live, now)) {
      void this.endRun(live, 'skipped', { skipReason: 'missed' }).catch(() => undefined);
      return true;
    }
    const others = this.goingRunsOf(job.name).filter((run) => run !== live);
    const decision = live.record.trigger === 'manual' ? 'start' : decideJobConcurrency(job, others);
    // Under Forbid, a run catching up waits for the one before it; so does an on-time run whose
    // only overlap is a run that is late because of a downtime (which would not have overlapped).
    if (decision === 'skip' && this.options.catchUp === 'all' && (live.record.catchUp || others.every((o) => o.record.catchUp))) return false;
    if (decision === 'skip') {
      void this.endRun(live, 'skipped', { skipReason: 'overlap' }).catch(() => undefined);
      return true;
    }
    if (decision === 'replace') for (const other of others) this.kill(other, 'replaced');
    this.startAttempt(live);
    return true;
  }

  private startAttempt(live: LiveRun): void {
    live.phase = 'queued';
    const taskId = this.runs.mapTask(live);
    const { record } = live;
    this.launcher.enqueue({ runId: record.runId, attempt: record.attempt, taskId, scheduledAtMs: record.scheduledAtMs, arguments: record.arguments });
    this.events.emit('run_queued', record, this.clock.now());
  }

  private launching(request: LaunchRequest, agentId: string): void {
    const live = this.runs.get(request.runId);
    if (!live || live.record.attempt !== request.attempt) return;
    live.phase = 'launching';
    live.launchedAtMs = this.clock.now();
    live.record.state = 'running';
    const attempt = attemptOf(live.record, request.attempt, request.taskId);
    attempt.agentId = agentId;
    attempt.launchedAtMs = live.launchedAtMs;
    this.armDeadline(live);
    this.events.emit('run_launched', live.record, live.launchedAtMs);
  }

  private requeue(request: LaunchRequest): void {
    const live = this.runs.get(request.runId);
    if (!live || live.record.attempt !== request.attempt || isRunOver(live.record.state)) return;
    if (live.phase !== 'launching' && live.phase !== 'launched' && live.phase !== 'unknown') return;
    this.clearDeadline(live);
    live.phase = 'queued';
    this.launcher.enqueue(request);
  }

  // ---- task updates ----------------------------------------------------------------------------

  /**
   * A task update. Resolves once what must be durable is written (a run's end); rejects when it
   * could not be, so that the driver does not acknowledge the update and the master sends it again.
   */
  async onStatus(status: TaskStatus): Promise<void> {
    const ref = this.runs.taskOf(status.taskId);
    const live = ref ? this.runs.get(ref.runId) : undefined;
    if (!ref || !live || isRunOver(live.record.state)) return this.strayTask(status);
    if (ref.attempt < live.record.attempt) return this.strayTask(status);
    const attempt = attemptOf(live.record, ref.attempt, status.taskId);
    if (status.agentId) attempt.agentId = status.agentId;
    attempt.taskState = status.state;
    if (status.message) attempt.message = status.message;
    const meaning = meaningOf(status, live.record.killReason);
    switch (meaning.kind) {
      case 'progress':
        return this.progress(live, status);
      case 'not-launched':
        return this.requeue(requestOf(live));
      case 'duplicate':
        live.phase = 'unknown';
        return this.reconcile([taskRef(live)]);
      case 'unknown':
        return this.unknownToMaster(live);
      case 'succeeded':
        return this.attemptEnded(live, status, undefined);
      case 'ended':
        return this.attemptEnded(live, status, meaning.end);
    }
  }

  private progress(live: LiveRun, status: TaskStatus): Promise<void> | void {
    if (live.phase === 'waiting' || live.phase === 'retry-wait') return;
    // Queued again after an ACCEPT that seemed to fail, yet the master launched it: it runs.
    if (live.phase === 'queued') this.launcher.cancel(status.taskId);
    live.phase = 'launched';
    live.record.state = 'running';
    if (status.state !== 'RUNNING') return;
    const attempt = attemptOf(live.record, live.record.attempt, status.taskId);
    if (attempt.startedAtMs !== undefined) return;
    attempt.startedAtMs = status.timestamp;
    this.armDeadline(live);
    this.events.emit('run_running', live.record, this.clock.now());
    // The acknowledgement, and the record of the start, wait while launches are in flight (see
    // RunLauncher.launchesSettled). The record is not waited for: reconciliation recovers a start.
    return this.launcher.launchesSettled(ACK_HOLD_MS).then(() => {
      this.history.save(live.record).catch((err: unknown) => this.log.warn({ runId: live.record.runId, err: describeError(err) }, 'failed to record a run start'));
    });
  }

  /** The master does not know the task. Never launched: launch it now; launched before: it is lost. */
  private unknownToMaster(live: LiveRun): Promise<void> | void {
    if (live.phase !== 'unknown' && live.phase !== 'launching') return this.attemptEnded(live, undefined, 'lost');
    const attempt = live.record.attempts.find((a) => a.attempt === live.record.attempt);
    if (attempt?.startedAtMs !== undefined) return this.attemptEnded(live, undefined, 'lost');
    live.phase = 'waiting';
    if (live.record.attempt === 0 && live.record.state === 'scheduled') {
      // Recovered after a downtime: it catches up (with catchUp 'latest', only if no later instant is due).
      const now = this.clock.now();
      const newer = this.liveRunsOf(live.record.job).some(
        (o) => o !== live && o.record.trigger === 'schedule' && o.record.scheduledAtMs > live.record.scheduledAtMs && o.record.scheduledAtMs <= now,
      );
      if (this.pastEpsilon(live, now)) return this.endRun(live, 'skipped', { skipReason: 'missed' });
      if (live.record.trigger === 'schedule' && newer && this.options.catchUp === 'latest') return this.endRun(live, 'skipped', { skipReason: 'superseded' });
      live.record.catchUp = true;
      this.pendingActivation.add(live.record.runId);
      this.activatePending(now);
    } else this.startAttempt(live);
  }

  private async attemptEnded(live: LiveRun, status: TaskStatus | undefined, end: 'failed' | 'lost' | 'timed-out' | 'killed' | undefined): Promise<void> {
    const now = this.clock.now();
    const attempt = attemptOf(live.record, live.record.attempt, currentTaskId(live));
    attempt.endedAtMs = now;
    if (status?.exitCode !== undefined) attempt.exitCode = status.exitCode;
    this.clearDeadline(live);
    if (end === undefined) return this.endRun(live, 'succeeded');
    // However the task ended after a kill was asked for, the run was killed: no retry.
    if (live.record.killReason) end = live.record.killReason === 'timed-out' ? 'timed-out' : 'killed';
    const job = this.jobOf(live);
    const decision = job ? decideRetry(job, live.record.attempt + 1, end, this.backoff()) : { retry: false as const };
    if (!decision.retry) return this.endRun(live, finalStateOf(end), { message: status?.message ?? `attempt ${live.record.attempt} ${end}` });
    this.runs.unmapTask(attempt.taskId);
    live.record.state = 'retrying';
    live.record.attempt += 1;
    live.record.nextAttemptAtMs = now + decision.delayMs;
    live.phase = 'retry-wait';
    this.due.add(live.record.runId, live.record.nextAttemptAtMs);
    this.events.emit('run_retrying', live.record, now);
    await this.history.save(live.record);
  }

  /** Ends the run: written before this resolves, counted in its job afterwards. */
  private async endRun(live: LiveRun, state: RunState, extra: { skipReason?: RunSkipReason; message?: string } = {}): Promise<void> {
    const { record } = live;
    record.state = state;
    record.endedAtMs = this.clock.now();
    if (extra.skipReason) record.skipReason = extra.skipReason;
    if (extra.message) record.message = extra.message;
    delete record.nextAttemptAtMs;
    this.unregister(live);
    // A run catching up may have been waiting for this one.
    if (this.pendingActivation.size > 0) queueMicrotask(() => this.activatePending(this.clock.now()));
    this.events.emit(state === 'skipped' ? 'run_skipped' : state === 'succeeded' ? 'run_succeeded' : state === 'killed' ? 'run_killed' : 'run_failed', record, record.endedAtMs);
    await this.history.finish(record);
  }

  /** An update for a task that is not the current attempt of a live run: a task that should not run is killed. */
  private strayTask(status: TaskStatus): void {
    if (isTerminalState(status.state) || status.state === 'UNKNOWN' || status.state === 'UNREACHABLE') return;
    if (!this.runs.taskOf(status.taskId)) return;
    this.log.warn({ taskId: status.taskId, state: status.state }, `task ${status.taskId} belongs to no live run (an old attempt, or a deleted job): killing it`);
    this.driver.kill(status.taskId, status.agentId, this.options.killGracePeriodMs).catch(() => undefined);
  }

  // ---- kills and deadlines ---------------------------------------------------------------------

  /** Kills a going run: a task is killed (its end arrives as an update); a run without one ends now. */
  kill(live: LiveRun, reason: RunKillReason): void {
    if (isRunOver(live.record.state) || !isActive(live)) return;
    live.record.killReason = reason;
    if (live.phase === 'queued' || live.phase === 'retry-wait') {
      this.launcher.cancel(currentTaskId(live));
      void this.endRun(live, 'killed', { message: `killed (${reason}) before it started` }).catch(() => undefined);
      return;
    }
    this.history.save(live.record).catch(() => undefined);
    this.sendKill(live);
  }

  killJob(job: string, reason: RunKillReason): number {
    const going = this.goingRunsOf(job);
    for (const live of going) this.kill(live, reason);
    return going.length;
  }

  private sendKill(live: LiveRun): void {
    live.killSentAtMs = this.clock.now();
    const { taskId, agentId } = taskRef(live);
    this.driver.kill(taskId, agentId, this.options.killGracePeriodMs).catch((err: unknown) => this.log.warn({ taskId, err: describeError(err) }, `KILL of ${taskId} failed; retrying later`));
  }

  private armDeadline(live: LiveRun): void {
    const job = this.jobOf(live);
    if (!job || live.deadline) return;
    const attempt = live.record.attempts.find((a) => a.attempt === live.record.attempt);
    const deadline = completionDeadlineMs(job, attempt?.startedAtMs ?? live.launchedAtMs ?? this.clock.now());
    if (deadline === undefined) return;
    live.deadline = this.clock.setTimeout(() => {
      live.deadline = undefined;
      if (this.runs.get(live.record.runId) === live) this.kill(live, 'timed-out');
    }, Math.max(0, deadline - this.clock.now()));
  }

  private clearDeadline(live: LiveRun): void {
    if (live.deadline) this.clock.clearTimeout(live.deadline);
    live.deadline = undefined;
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private reconcile(tasks: Array<{ taskId: string; agentId?: string }>): void {
    this.driver.reconcile(tasks).catch((err: unknown) => this.log.debug({ err: describeError(err) }, `RECONCILE failed: ${describeError(err)}`));
  }

  /** After a (re)subscription: ask for every task whose state matters (the implicit reconciliation covers only live ones). */
  reconcileAll(): void {
    const tasks = [...this.runs.all()].filter((l) => l.phase === 'unknown' || l.phase === 'launching' || l.phase === 'launched').map(taskRef);
    this.lastReconcileMs = this.clock.now();
    if (tasks.length > 0) this.reconcile(tasks);
    this.activatePending(this.clock.now());
  }

  private pastEpsilon(live: LiveRun, now: number): boolean {
    if (live.record.trigger !== 'schedule' || live.record.attempt > 0) return false;
    const job = this.jobOf(live);
    return job !== undefined && now > live.record.scheduledAtMs + epsilonMsOf(job);
  }

  private backoff(): { baseMs: number; factor: number; maxMs: number } {
    return { baseMs: this.options.retryBaseMs, factor: this.options.retryFactor, maxMs: this.options.retryMaxMs };
  }

  private jobOf(live: LiveRun): Job | undefined {
    return this.jobs.get(live.record.job)?.job;
  }

  private jobOfRequest(request: LaunchRequest): Job | undefined {
    const live = this.runs.get(request.runId);
    return live && live.phase === 'queued' && live.record.attempt === request.attempt ? this.jobOf(live) : undefined;
  }






  private unregister(live: LiveRun): void {
    this.clearDeadline(live);
    this.due.remove(live.record.runId);
    this.pendingActivation.delete(live.record.runId);
    this.launcher.cancel(currentTaskId(live));
    this.runs.remove(live);
  }
}
