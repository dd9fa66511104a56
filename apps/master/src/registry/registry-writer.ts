import { describeError, type Logger } from '@pando/common';
import type { KvPort } from './kv-bucket';

/** Writes in flight at once: enough for a burst of registrations, few enough not to flood JetStream. */
export const REGISTRY_WRITE_CONCURRENCY = 64;
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5000;

/** What a key should hold now; undefined deletes it. Evaluated when the write is made, not when asked for. */
export type RecordSource = () => unknown;

/**
 * Keeps the registry bucket in step with the master, off the hot path: callers mark a key dirty
 * (with a function that reads the record's current state) and return at once; writes go out on
 * the next turn of the event loop, at most REGISTRY_WRITE_CONCURRENCY at a time, coalesced per key
 * (ten changes of one agent before the flush make one write of its latest state), and skipped
 * when the JSON is what the bucket already holds (a re-registration that changes nothing costs no
 * write). At most one write per key is in flight, so writes of one key land in order. A failed
 * write is retried with backoff; only its latest state is written then.
 */
export class RegistryWriter {
  private readonly dirty = new Map<string, RecordSource>();
  private readonly inFlight = new Set<string>();
  private readonly stored = new Map<string, string>();
  private scheduled: NodeJS.Timeout | undefined;
  private retryDelayMs = RETRY_FIRST_MS;
  /** After a failure nothing is written before this time (ms, Date.now()). */
  private retryAt = 0;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;
  private writeCount = 0;
  private failureCount = 0;

  constructor(
    private readonly kv: () => Promise<KvPort>,
    private readonly log: Logger,
    private readonly concurrency = REGISTRY_WRITE_CONCURRENCY,
  ) {}

  /** Writes (puts and deletes) made so far. */
  get writes(): number {
    return this.writeCount;
  }

  get failures(): number {
    return this.failureCount;
  }

  /** Keys waiting to be written or being written. */
  get pending(): number {
    return this.dirty.size + this.inFlight.size;
  }

  /** What the bucket is known to hold (read at election): identical values are not written again. */
  seed(stored: ReadonlyMap<string, string>): void {
    for (const [key, json] of stored) this.stored.set(key, json);
  }

  set(key: string, source: RecordSource): void {
    if (this.stopped) return;
    this.dirty.set(key, source);
    this.schedule();
  }

  /** Resolves once nothing is pending (for tests and an orderly shutdown). */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    if (this.scheduled) clearTimeout(this.scheduled);
    this.scheduled = undefined;
    this.dirty.clear();
    this.settleIdle();
  }

  /** A flush soon (a 0 ms timer: after what the event loop has in hand), or when the backoff ends. */
  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = setTimeout(() => this.flush(), Math.max(0, this.retryAt - Date.now()));
    this.scheduled.unref();
  }

  private flush(): void {
    this.scheduled = undefined;
    if (Date.now() < this.retryAt) return this.schedule();
    for (const [key, source] of this.dirty) {
      if (this.inFlight.size >= this.concurrency) break;
      if (this.inFlight.has(key)) continue;
      this.dirty.delete(key);
      void this.write(key, source);
    }
    this.settleIdle();
  }

  private async write(key: string, source: RecordSource): Promise<void> {
    let value: unknown;
    try {
      value = source();
    } catch (err) {
      this.log.error({ key, err: describeError(err) }, `cannot build the registry record '${key}'`);
      return;
    }
    const json = value === undefined ? undefined : JSON.stringify(value);
    if (json === this.stored.get(key)) return;
    this.inFlight.add(key);
    try {
      const kv = await this.kv();
      if (json === undefined) await kv.delete(key);
      else await kv.put(key, value);
      if (json === undefined) this.stored.delete(key);
      else this.stored.set(key, json);
      this.writeCount++;
      this.retryDelayMs = RETRY_FIRST_MS;
    } catch (err) {
      this.failureCount++;
      if (Date.now() >= this.retryAt) {
        this.log.warn({ key, err: describeError(err), retryInMs: this.retryDelayMs }, `registry write of '${key}' failed; retrying`);
        this.retryAt = Date.now() + this.retryDelayMs;
        this.retryDelayMs = Math.min(this.retryDelayMs * 2, RETRY_MAX_MS);
      }
      // Retry with the latest state, unless a newer change is already waiting.
      if (!this.dirty.has(key)) this.dirty.set(key, source);
    }
    this.inFlight.delete(key);
    if (this.dirty.size > 0) this.schedule();
    else this.settleIdle();
  }

  private settleIdle(): void {
    if (this.pending > 0 && !this.stopped) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
