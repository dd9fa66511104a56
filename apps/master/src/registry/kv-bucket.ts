import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV, KvEntry } from '@nats-io/kv';
import { ConflictError, describeError, UnavailableError } from '@pando/common';

/** One value read from the bucket, with the revision it was written at. */
export interface KvValue {
  key: string;
  value: unknown;
  revision: number;
}

/**
 * What the lease and the registry need from a KV bucket. Values are JSON. A failed
 * compare-and-set is a ConflictError; anything else going wrong (no JetStream, a timeout, no
 * stream leader during a NATS node's loss) is an UnavailableError: the caller retries.
 */
export interface KvPort {
  get(key: string): Promise<KvValue | undefined>;
  /** Writes only if the key has no value; the new revision. */
  create(key: string, value: unknown): Promise<number>;
  /** Writes only if the key is still at `revision`; the new revision. */
  update(key: string, value: unknown, revision: number): Promise<number>;
  put(key: string, value: unknown): Promise<number>;
  delete(key: string): Promise<void>;
  /** The latest value of every key, read in one pass. */
  snapshot(): Promise<KvValue[]>;
  /**
   * Calls `onEntry` with the latest value of every key, then with every change (value undefined:
   * deleted), in revision order, until the returned function is called. `onEnd` is called if
   * the watch ends by itself (the caller may watch again).
   */
  watch(onEntry: (key: string, value: KvValue | undefined, revision: number) => void, onEnd: (err?: unknown) => void): Promise<() => void>;
}

/** How long a whole-bucket read may take before it is abandoned (and retried by the caller). */
const SNAPSHOT_TIMEOUT_MS = 30_000;

/** KvPort over a JetStream KV bucket (nats-server 2.9: no per-key TTL, plain revisions). */
export class JetStreamKv implements KvPort {
  constructor(
    private readonly kv: KV,
    readonly bucket: string,
  ) {}

  async get(key: string): Promise<KvValue | undefined> {
    const entry = await this.guard(`get '${key}'`, () => this.kv.get(key));
    return entry ? decodeEntry(this.bucket, entry) : undefined;
  }

  create(key: string, value: unknown): Promise<number> {
    return this.guard(`create '${key}'`, () => this.kv.create(key, JSON.stringify(value)), `'${key}' already exists`);
  }

  update(key: string, value: unknown, revision: number): Promise<number> {
    return this.guard(`update '${key}'`, () => this.kv.update(key, JSON.stringify(value), revision), `'${key}' is no longer at revision ${revision}`);
  }

  put(key: string, value: unknown): Promise<number> {
    return this.guard(`put '${key}'`, () => this.kv.put(key, JSON.stringify(value)));
  }

  async delete(key: string): Promise<void> {
    await this.guard(`delete '${key}'`, () => this.kv.delete(key));
  }

  /**
   * The latest value of every key, through one watcher (an ordered push consumer delivering the
   * last value per key): thousands of keys come in one stream instead of one request each. It
   * ends at the message after which nothing is pending: the bucket as of that moment.
   */
  snapshot(): Promise<KvValue[]> {
    return this.guard('read every key', async () => {
      // A watcher on an empty bucket delivers nothing, not even an end: ask first.
      if ((await this.kv.status()).values === 0) return [];
      const watch = await this.kv.watch({ key: '>' });
      const values = new Map<string, KvValue>();
      const timer = setTimeout(() => watch.stop(), SNAPSHOT_TIMEOUT_MS);
      let complete = false;
      try {
        for await (const entry of watch) {
          const decoded = decodeEntry(this.bucket, entry);
          if (decoded) values.set(entry.key, decoded);
          else values.delete(entry.key);
          if (entry.delta === 0) {
            complete = true;
            break;
          }
        }
      } finally {
        clearTimeout(timer);
        watch.stop();
      }
      if (!complete) throw new Error(`the read did not complete within ${SNAPSHOT_TIMEOUT_MS} ms`);
      return [...values.values()];
    });
  }

  async watch(onEntry: (key: string, value: KvValue | undefined, revision: number) => void, onEnd: (err?: unknown) => void): Promise<() => void> {
    const watch = await this.guard('watch every key', () => this.kv.watch({ key: '>' }));
    let stopped = false;
    void (async () => {
      try {
        for await (const entry of watch) {
          let value: KvValue | undefined;
          try {
            value = decodeEntry(this.bucket, entry);
          } catch {
            // Not JSON: a null value, which no record schema accepts (it is reported, then skipped).
            value = { key: entry.key, value: null, revision: entry.revision };
          }
          onEntry(entry.key, value, entry.revision);
        }
        if (!stopped) onEnd();
      } catch (err) {
        if (!stopped) onEnd(err);
      }
    })();
    return () => {
      stopped = true;
      watch.stop();
    };
  }

  private async guard<T>(what: string, op: () => Promise<T>, conflict?: string): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (conflict && isWrongLastSequence(err)) throw new ConflictError(`${this.bucket}: ${conflict}`);
      throw new UnavailableError(`${this.bucket}: cannot ${what}: ${describeError(err)}`);
    }
  }
}

function decodeEntry(bucket: string, entry: KvEntry): KvValue | undefined {
  if (entry.operation !== 'PUT') return undefined;
  try {
    return { key: entry.key, value: entry.json<unknown>(), revision: entry.revision };
  } catch (err) {
    throw new Error(`${bucket}: the value of '${entry.key}' (revision ${entry.revision}) is not JSON: ${describeError(err)}`);
  }
}

/** The JetStream refusal of a write whose expected last revision did not match. */
export function isWrongLastSequence(err: unknown): boolean {
  if (err instanceof JetStreamApiError) {
    return err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown;
  }
  return /wrong last sequence|key exists/i.test(describeError(err));
}
