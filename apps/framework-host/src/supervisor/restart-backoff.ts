export interface RestartBackoffOptions {
  initialMs: number;
  maxMs: number;
  /** A worker that ran at least this long before crashing is restarted after initialMs again. */
  stableAfterMs: number;
}

/**
 * When to restart a crashed worker: initialMs, doubling with each crash in a row up to maxMs; a
 * worker that ran stably for a while starts from initialMs again. Pure (times are passed in).
 */
export class RestartBackoff {
  private crashesInARow = 0;

  constructor(private readonly options: RestartBackoffOptions) {}

  /** The delay before the next start, given how long the crashed run lasted. */
  next(ranForMs: number): number {
    if (ranForMs >= this.options.stableAfterMs) this.crashesInARow = 0;
    const delay = Math.min(this.options.maxMs, this.options.initialMs * 2 ** this.crashesInARow);
    this.crashesInARow++;
    return delay;
  }

  get crashes(): number {
    return this.crashesInARow;
  }
}
