import { Inject, Injectable } from '@nestjs/common';
import { describeError } from '@pando/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';
import { MARATHON_OPTIONS } from '../marathon.tokens';
import type { MarathonOptions } from '../marathon.options';
import { TaskTracker, type KillReason, type TrackedTask } from '../state/task-tracker.service';
import { ConvergenceLoop } from './convergence-loop.service';

interface PendingKill {
  taskId: string;
  agentId: string;
  gracePeriodMs?: number;
  /** Covered by a SHUTDOWN of its agent: not sent on its own. */
  covered?: boolean;
}

/** Below this many kills on one agent, individual KILLs are as cheap as a SHUTDOWN. */
export const SHUTDOWN_MIN_KILLS = 16;

/**
 * KILL calls with bounded concurrency: scaling 10,000 instances down is 10,000 kills, which must
 * neither flood the master nor wait on each other. Kills asked for in one go are flushed
 * together; when they cover every task the framework has on an agent (and no launch is in
 * flight that could add one), one SHUTDOWN of that agent replaces them (Mesos's call for
 * exactly this: it kills the framework's tasks there, each with its own kill grace period).
 * A kill made while the driver is not subscribed waits for the next subscription; a task that
 * has not ended `kill-retry-seconds` after its kill is killed again.
 */
@Injectable()
export class KillQueue {
  private queue: PendingKill[] = [];
  private head = 0;
  private inFlight = 0;
  private flushing = false;
  /** Tasks asked to die and not ended yet. */
  private readonly killing = new Set<string>();
  /** Launches between their decision and the master's answer: a SHUTDOWN could catch them. */
  launchesInFlight = 0;
  sent = 0;
  shutdowns = 0;

  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext,
    @Inject(MARATHON_OPTIONS) private readonly options: MarathonOptions,
    private readonly tracker: TaskTracker,
    loop: ConvergenceLoop,
  ) {
    loop.register('kill-retry', 90, (now, periodic) => {
      if (periodic) this.retryStuck(now);
    });
  }

  /** Asks for the task to be killed (once: later calls for the same task are no-ops). */
  kill(task: TrackedTask, reason: KillReason, gracePeriodMs?: number): void {
    if (task.killRequestedAt !== undefined) return;
    task.killRequestedAt = this.context.clock.now();
    task.killReason = reason;
    if (task.state !== 'UNREACHABLE') task.state = 'KILLING';
    this.killing.add(task.taskId);
    this.enqueue({ taskId: task.taskId, agentId: task.agentId, ...(gracePeriodMs !== undefined ? { gracePeriodMs } : {}) });
  }

  /** Kills a task the plugin does not track (an orphan, or a task of a deleted app). */
  killUntracked(taskId: string, agentId?: string): void {
    this.enqueue({ taskId, agentId: agentId ?? '' });
  }

  /** The task ended: nothing more to do for it. */
  forget(taskId: string): void {
    this.killing.delete(taskId);
  }

  /** The driver (re)subscribed: send what waited. */
  resume(): void {
    this.pump();
  }

  get pending(): number {
    return this.queue.length - this.head + this.inFlight;
  }

  private enqueue(kill: PendingKill): void {
    this.queue.push(kill);
    if (this.flushing) return;
    // Kills decided in one evaluation arrive synchronously: flush them together.
    this.flushing = true;
    setImmediate(() => {
      this.flushing = false;
      this.shutdownWholeAgents();
      this.pump();
    });
  }

  /** One SHUTDOWN per agent whose every task is queued for a kill (see the class comment). */
  private shutdownWholeAgents(): void {
    const driver = this.context.driver;
    if (driver.state !== 'subscribed' || this.launchesInFlight > 0) return;
    const byAgent = new Map<string, PendingKill[]>();
    for (let i = this.head; i < this.queue.length; i++) {
      const kill = this.queue[i]!;
      if (!kill.covered && kill.agentId !== '') byAgent.set(kill.agentId, [...(byAgent.get(kill.agentId) ?? []), kill]);
    }
    for (const [agentId, kills] of byAgent) {
      const onAgent = this.tracker.taskIdsOn(agentId);
      if (kills.length < SHUTDOWN_MIN_KILLS || kills.length < onAgent.size) continue;
      const queued = new Set(kills.map((k) => k.taskId));
      if (![...onAgent].every((id) => queued.has(id))) continue;
      for (const kill of kills) kill.covered = true;
      this.shutdowns++;
      this.sent++;
      driver.shutdown(agentId).catch((err: unknown) => {
        // Not covered after all: the kills go one by one.
        this.context.log.warn({ agentId, err: describeError(err) }, `SHUTDOWN of agent ${agentId} failed: ${describeError(err)}; killing its tasks one by one`);
        for (const kill of kills) this.queue.push({ ...kill, covered: false });
        this.pump();
      });
    }
  }

  private pump(): void {
    const driver = this.context.driver;
    while (this.inFlight < this.options.killConcurrency && this.head < this.queue.length && driver.state === 'subscribed') {
      const kill = this.queue[this.head++]!;
      if (kill.covered) continue;
      this.inFlight++;
      this.sent++;
      driver
        .kill(kill.taskId, kill.agentId === '' ? undefined : kill.agentId, kill.gracePeriodMs)
        .catch((err: unknown) => this.failed(kill, err))
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private failed(kill: PendingKill, err: unknown): void {
    // Without a master the kill waits for resume(); a refused kill is retried by retryStuck.
    if (this.context.driver.state !== 'subscribed') this.queue.push(kill);
    else this.context.log.warn({ taskId: kill.taskId, err: describeError(err) }, `KILL of task '${kill.taskId}' failed: ${describeError(err)}`);
  }

  private retryStuck(now: number): void {
    const retryMs = this.options.killRetrySeconds * 1000;
    for (const taskId of this.killing) {
      const task = this.tracker.get(taskId);
      if (!task) {
        this.killing.delete(taskId);
        continue;
      }
      if (task.killRequestedAt !== undefined && now - task.killRequestedAt >= retryMs) {
        task.killRequestedAt = now;
        this.enqueue({ taskId, agentId: task.agentId });
      }
    }
  }
}
