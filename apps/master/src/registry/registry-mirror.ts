import { describeError, type Logger } from '@pando/common';
import type { KvPort, KvValue } from './kv-bucket';

const REWATCH_MS = 1000;

/**
 * A standby's live copy of the registry bucket (a watch from the first value to the latest), so
 * that a master elected leader does not have to read the whole registry then: the lease is a key
 * of the same bucket, so once the copy has seen the revision the lease was won at, it holds every
 * record written before it. If the watch breaks it starts again (the copy is rebuilt).
 */
export class RegistryMirror {
  private values = new Map<string, KvValue>();
  private revision = 0;
  private stopWatch?: () => void;
  private stopped = false;
  private waiters: Array<{ revision: number; resolve: () => void }> = [];

  constructor(
    private readonly kv: KvPort,
    private readonly log: Logger,
  ) {}

  /** The highest revision seen so far. */
  get seen(): number {
    return this.revision;
  }

  async start(): Promise<void> {
    if (this.stopped) return;
    this.values = new Map();
    this.revision = 0;
    try {
      this.stopWatch = await this.kv.watch((key, value, revision) => this.apply(key, value, revision), (err) => this.ended(err));
    } catch (err) {
      this.ended(err);
    }
  }

  /**
   * The registry as of `revision` (or later), once the copy got there; undefined when it did not
   * within `timeoutMs` (the caller reads the bucket instead).
   */
  async snapshotAt(revision: number, timeoutMs: number): Promise<KvValue[] | undefined> {
    if (this.revision < revision) {
      let timer: NodeJS.Timeout | undefined;
      const reached = await Promise.race([
        new Promise<boolean>((resolve) => this.waiters.push({ revision, resolve: () => resolve(true) })),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
      if (!reached) return undefined;
    }
    return [...this.values.values()];
  }

  stop(): void {
    this.stopped = true;
    this.stopWatch?.();
    this.stopWatch = undefined;
    this.waiters = [];
  }

  private apply(key: string, value: KvValue | undefined, revision: number): void {
    if (value) this.values.set(key, value);
    else this.values.delete(key);
    if (revision > this.revision) this.revision = revision;
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.revision <= this.revision);
    this.waiters = this.waiters.filter((w) => w.revision > this.revision);
    for (const waiter of ready) waiter.resolve();
  }

  private ended(err?: unknown): void {
    if (this.stopped) return;
    this.stopWatch = undefined;
    this.log.warn({ err: err === undefined ? undefined : describeError(err) }, `the registry watch ended; watching again in ${REWATCH_MS} ms`);
    setTimeout(() => void this.start(), REWATCH_MS).unref();
  }
}
