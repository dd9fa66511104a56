import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV, KvEntry } from '@nats-io/kv';
import { ConflictError, describeError, InputError, UnavailableError } from '@pando/common';
import type { PluginStore, StoredValue } from '@pando/sdk';

const KEY_SAFE = /^[-/_=.a-zA-Z0-9]+$/;
/** Reads of `list` run this many at a time: enough to be quick, few enough not to flood NATS. */
const LIST_CONCURRENCY = 32;

/** The bucket name of a plugin's store. */
export function pluginBucketName(pluginId: string): string {
  return `pando-plugin-${pluginId}`;
}

/**
 * A plugin's PluginStore over one JetStream KV bucket. Values are JSON; revisions are the KV
 * revisions (stream sequences), so compare-and-set is the server's, across every host sharing the
 * bucket. Deleted keys read as absent and are not listed.
 */
export class KvPluginStore implements PluginStore {
  constructor(
    private readonly kv: KV,
    private readonly name: string,
  ) {}

  async get<T>(key: string): Promise<StoredValue<T> | undefined> {
    checkKey(key);
    const entry = await this.guard(`get '${key}'`, () => this.kv.get(key));
    return entry ? this.decode<T>(entry) : undefined;
  }

  async put<T>(key: string, value: T): Promise<number> {
    checkKey(key);
    return this.guard(`put '${key}'`, () => this.kv.put(key, encode(key, value)));
  }

  async create<T>(key: string, value: T): Promise<number> {
    checkKey(key);
    return this.guard(`create '${key}'`, () => this.kv.create(key, encode(key, value)), `'${key}' already exists`);
  }

  async update<T>(key: string, value: T, revision: number): Promise<number> {
    checkKey(key);
    if (!Number.isInteger(revision) || revision <= 0) throw new InputError(`${this.name}: cannot update '${key}': revision ${revision} is not a positive integer`);
    return this.guard(`update '${key}'`, () => this.kv.update(key, encode(key, value), revision), `'${key}' is no longer at revision ${revision}`);
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.guard(`delete '${key}'`, () => this.kv.delete(key));
  }

  async keys(prefix = ''): Promise<string[]> {
    // KV filters are subject patterns: a prefix ending at a dot is one (`apps.` -> `apps.>`);
    // any other prefix is filtered here.
    const filter = prefix.endsWith('.') && KEY_SAFE.test(prefix) && !prefix.includes('..') ? `${prefix}>` : '>';
    return this.guard(`list keys under '${prefix}'`, async () => {
      const keys: string[] = [];
      for await (const key of await this.kv.keys(filter)) if (key.startsWith(prefix)) keys.push(key);
      return keys;
    });
  }

  async list<T>(prefix = ''): Promise<Array<StoredValue<T>>> {
    const keys = await this.keys(prefix);
    const values: Array<StoredValue<T>> = [];
    for (let i = 0; i < keys.length; i += LIST_CONCURRENCY) {
      const batch = await Promise.all(keys.slice(i, i + LIST_CONCURRENCY).map((key) => this.get<T>(key)));
      for (const value of batch) if (value) values.push(value);
    }
    return values;
  }

  private decode<T>(entry: KvEntry): StoredValue<T> | undefined {
    if (entry.operation !== 'PUT') return undefined;
    try {
      return { key: entry.key, value: entry.json<T>(), revision: entry.revision };
    } catch (err) {
      throw new InputError(`${this.name}: the value of '${entry.key}' (revision ${entry.revision}) is not JSON: ${describeError(err)}`);
    }
  }

  /** Runs one KV operation, turning a failed compare-and-set into a ConflictError. */
  private async guard<T>(what: string, op: () => Promise<T>, conflict?: string): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (conflict && isWrongLastSequence(err)) throw new ConflictError(`${this.name}: ${conflict}`);
      if (err instanceof InputError) throw err;
      throw new UnavailableError(`${this.name}: cannot ${what}: ${describeError(err)}`);
    }
  }
}

/** The JetStream refusal of a write whose expected last revision did not match. */
export function isWrongLastSequence(err: unknown): boolean {
  if (err instanceof JetStreamApiError) {
    return err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown;
  }
  return /wrong last sequence/i.test(describeError(err));
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || !KEY_SAFE.test(key) || key.startsWith('.') || key.endsWith('.') || key.includes('..')) {
    throw new InputError(`store key '${String(key)}' is not valid: use [-/_=.a-zA-Z0-9] without empty parts (storeKey() builds safe keys)`);
  }
}

function encode(key: string, value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new InputError(`cannot store '${key}': the value is not JSON-serialisable`);
  return json;
}
