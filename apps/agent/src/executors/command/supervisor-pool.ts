import { join } from 'node:path';
import type { Logger } from '@pando/common';
import { describeError } from '@pando/common';
import { SupervisorProcess } from './supervisor-process';

/** The supervisor program, next to this file in src/ (tests) and dist/ (production) alike. */
export const SUPERVISOR_SCRIPT = join(__dirname, 'command-task.supervisor.js');
/** How long after a launch took a supervisor the pool starts its replacement. */
const REFILL_DELAY_MS = 100;

/**
 * Keeps a few supervisors started ahead of need. Starting Node costs 50-150 ms (more on a busy
 * host); a warm supervisor is already past that and only has to spawn the task, so the per-task
 * supervisor adds a few ms to a launch instead. A launch takes a warm one when there is one (and a
 * replacement is started in the background), else starts one on the spot. Idle supervisors exit
 * by themselves when the agent goes away (EOF on their stdin).
 */
export class SupervisorPool {
  private readonly idle: SupervisorProcess[] = [];
  private stopped = false;
  private refilling = false;
  private refillTimer?: NodeJS.Timeout;

  constructor(
    private readonly size: number,
    /** Working dir of idle supervisors (each moves into its task's sandbox). */
    private readonly cwd: string,
    private readonly log: Logger,
    private readonly script: string = SUPERVISOR_SCRIPT,
  ) {}

  /** Starts the warm supervisors (in the background). */
  start(): void {
    this.refill();
  }

  /** A supervisor for a new task: a warm one when available, else a fresh one. */
  take(): SupervisorProcess {
    let taken: SupervisorProcess | undefined;
    // Prefer one that is up; one still booting beats a brand new one.
    const warmAt = this.idle.findIndex((s) => s.warm);
    if (warmAt >= 0) taken = this.idle.splice(warmAt, 1)[0];
    while (!taken && this.idle.length > 0) {
      const candidate = this.idle.shift()!;
      if (candidate.alive) taken = candidate;
    }
    this.refillSoon();
    return taken ?? SupervisorProcess.spawn(this.script, this.cwd);
  }

  /** Ends the idle supervisors (the agent is stopping); supervisors of tasks are left alone. */
  shutdown(): void {
    this.stopped = true;
    if (this.refillTimer) clearTimeout(this.refillTimer);
    for (const supervisor of this.idle.splice(0)) supervisor.dismiss();
  }

  get idleCount(): number {
    return this.idle.length;
  }

  /**
   * A refill forks and boots Node (~100+ ms of CPU): started right away it would compete with the
   * launch that is under way (the supervisor spawning its task), so it waits until that is done.
   */
  private refillSoon(): void {
    if (this.refillTimer || this.stopped) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      this.refill();
    }, REFILL_DELAY_MS);
    this.refillTimer.unref();
  }

  private refill(): void {
    if (this.stopped || this.refilling) return;
    this.refilling = true;
    try {
      while (this.idle.length < this.size) {
        const supervisor = SupervisorProcess.spawn(this.script, this.cwd);
        this.idle.push(supervisor);
        // One that dies while idle (killed by someone) leaves the pool.
        void supervisor.closed.then(() => {
          const at = this.idle.indexOf(supervisor);
          if (at >= 0) this.idle.splice(at, 1);
        });
      }
    } catch (err) {
      this.log.warn({ err: describeError(err) }, 'cannot start a warm task supervisor; launches start their own');
    } finally {
      this.refilling = false;
    }
  }
}
