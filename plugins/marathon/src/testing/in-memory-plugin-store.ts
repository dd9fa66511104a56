import { ConflictError } from '@pando/common';
import type { PluginStore, StoredValue } from '@pando/sdk';

/**
 * A PluginStore in memory with the KV semantics the plugin relies on (revisions, create and
 * compare-and-set), for unit tests of the services. Values are copied through JSON in and out,
 * as the real store serialises them, so a test cannot pass by sharing object references.
 * `writes` counts puts/creates/updates/deletes, to check that hot paths batch their writes.
 */
export class InMemoryPluginStore implements PluginStore {
  private readonly entries = new Map<string, { json: string; revision: number }>();
  private revision = 0;
  writes = 0;
  /** When set, every write rejects with this error (to test failure handling). */
  failWrites: Error | undefined;

  async get<T>(key: string): Promise<StoredValue<T> | undefined> {
    const entry = this.entries.get(key);
    return entry ? { key, value: JSON.parse(entry.json) as T, revision: entry.revision } : undefined;
  }

  async put<T>(key: string, value: T): Promise<number> {
    this.checkWritable();
    return this.write(key, value);
  }

  async create<T>(key: string, value: T): Promise<number> {
    this.checkWritable();
    if (this.entries.has(key)) throw new ConflictError(`key '${key}' exists`);
    return this.write(key, value);
  }

  async update<T>(key: string, value: T, revision: number): Promise<number> {
    this.checkWritable();
    const entry = this.entries.get(key);
    if (!entry || entry.revision !== revision) throw new ConflictError(`key '${key}' is not at revision ${revision}`);
    return this.write(key, value);
  }

  async delete(key: string): Promise<void> {
    this.checkWritable();
    this.writes++;
    this.entries.delete(key);
  }

  async keys(prefix = ''): Promise<string[]> {
    return [...this.entries.keys()].filter((k) => k.startsWith(prefix));
  }

  async list<T>(prefix = ''): Promise<Array<StoredValue<T>>> {
    const out: Array<StoredValue<T>> = [];
    for (const [key, entry] of this.entries) {
      if (key.startsWith(prefix)) out.push({ key, value: JSON.parse(entry.json) as T, revision: entry.revision });
    }
    return out;
  }

  /** Synchronous peek for assertions. */
  peek<T>(key: string): T | undefined {
    const entry = this.entries.get(key);
    return entry ? (JSON.parse(entry.json) as T) : undefined;
  }

  size(prefix = ''): number {
    return [...this.entries.keys()].filter((k) => k.startsWith(prefix)).length;
  }

  private write(key: string, value: unknown): number {
    this.writes++;
    this.revision++;
    this.entries.set(key, { json: JSON.stringify(value), revision: this.revision });
    return this.revision;
  }

  private checkWritable(): void {
    if (this.failWrites) throw this.failWrites;
  }
}
