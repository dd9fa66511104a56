import { describeError, type Logger } from '@pando/common';

type Job = () => unknown;

/**
 * Runs jobs one at a time in the order they were pushed, awaiting each job's promise before the
 * next starts. The driver delivers every scheduler callback through it, so a framework sees
 * events in arrival order even when its callbacks are async. A job that throws is logged and
 * does not stop the queue.
 */
export class SerialEventQueue {
  private readonly jobs: Job[] = [];
  private running = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly log: Logger) {}

  push(job: Job): void {
    this.jobs.push(job);
    if (!this.running) void this.drain();
  }

  /** Drops jobs not started yet (the one running, if any, finishes). */
  clear(): void {
    this.jobs.length = 0;
  }

  get size(): number {
    return this.jobs.length + (this.running ? 1 : 0);
  }

  /** Resolves once every job pushed so far (and any pushed meanwhile) has finished. */
  idle(): Promise<void> {
    if (!this.running && this.jobs.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    this.running = true;
    for (let job = this.jobs.shift(); job; job = this.jobs.shift()) {
      try {
        await job();
      } catch (err) {
        this.log.error({ err: describeError(err) }, `scheduler callback failed: ${describeError(err)}`);
      }
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
