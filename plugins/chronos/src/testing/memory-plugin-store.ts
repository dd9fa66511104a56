import { ConflictError, UnavailableError } from '@pando/common';
import type { PluginStore, StoredValue } from '@pando/sdk';

const KEY = /^[-/_=.a-zA-Z0-9]+$/;

/**
 * A PluginStore in memory with the semantics of the JetStream KV one: one revision counter for
 * the whole bucket, `create` and `update` as compare-and-set, values copied as JSON (so a caller
 * that mutates what it stored or read changes nothing here). Two stores may share one `data`
 * map, like two framework hosts sharing a bucket. `failWrites` makes every write throw, to play
 * a process that dies between two writes.
 */
export class MemoryPluginStore implements PluginStore {
  /** Writes made so far (put, create, update, delete), for tests that count them. */
  writes = 0;
  failWrites = false;

  constructor(readonly data: Map<string, { json: string; revision: number }> & { seq?: number } = new Map()) {}

  async get<T>(key: string): Promise<StoredValue<T> | undefined> {
    this.checkKey(key);
    const entry = this.data.get(key);
    return entry ? { key, value: JSON.parse(entry.json) as T, revision: entry.revision } : undefined;
  }

  async put<T>(key: string, value: T): Promise<number> {
    this.beforeWrite(key);
    return this.write(key, value);
  }

  async create<T>(key: string, value: T): Promise<number> {
    this.beforeWrite(key);
    if (this.data.has(key)) throw new ConflictError(`key '${key}' already exists`);
    return this.write(key, value);
  }

  async update<T>(key: string, value: T, revision: number): Promise<number> {
    this.beforeWrite(key);
    const current = this.data.get(key);
    if (!current || current.revision !== revision) {
      throw new ConflictError(`key '${key}' is at revision ${current?.revision ?? 'none'}, not ${revision}`);
    }
    return this.write(key, value);
  }

  async delete(key: string): Promise<void> {
    this.beforeWrite(key);
    this.data.delete(key);
  }

  async keys(prefix = ''): Promise<string[]> {
    return [...this.data.keys()].filter((k) => k.startsWith(prefix));
  }

  async list<T>(prefix = ''): Promise<Array<StoredValue<T>>> {
    const keys = await this.keys(prefix);
    return keys.map((key) => {
      const entry = this.data.get(key)!;
      return { key, value: JSON.parse(entry.json) as T, revision: entry.revision };
    });
  }

  /** The stored value, parsed, for assertions. */
  peek<T>(key: string): T | undefined {
    const entry = this.data.get(key);
    return entry ? (JSON.parse(entry.json) as T) : undefined;
  }

  private write<T>(key: string, value: T): number {
    const revision = (this.data.seq = (this.data.seq ?? 0) + 1);
    this.data.set(key, { json: JSON.stringify(value), revision });
    return revision;
  }

  private beforeWrite(key: string): void {
    this.checkKey(key);
    if (this.failWrites) throw new UnavailableError(`store unavailable: cannot write '${key}'`);
    this.writes++;
  }

  private checkKey(key: string): void {
    if (!KEY.test(key) || key.startsWith('.') || key.endsWith('.')) throw new Error(`'${key}' is not a valid KV key`);
  }
}
