/** A value read from a plugin's store, with the revision to use for compare-and-set. */
export interface StoredValue<T> {
  key: string;
  value: T;
  revision: number;
}

/**
 * A framework plugin's own durable state: one JetStream KV bucket per plugin, replicated by NATS
 * and shared by every framework host that may lead the plugin. Values are JSON. Keys are made of
 * `[-/_=.a-zA-Z0-9]` (use `storeKey()` for arbitrary strings such as app ids or job names).
 * Store one entity per key (an app, a version, a deployment, a job) so that writes stay small.
 */
export interface PluginStore {
  get<T>(key: string): Promise<StoredValue<T> | undefined>;
  /** Writes unconditionally; resolves with the new revision. */
  put<T>(key: string, value: T): Promise<number>;
  /** Writes only when the key does not exist; a ConflictError otherwise. */
  create<T>(key: string, value: T): Promise<number>;
  /** Writes only when the key is still at `revision`; a ConflictError otherwise. */
  update<T>(key: string, value: T, revision: number): Promise<number>;
  delete(key: string): Promise<void>;
  /** Keys under a prefix (`apps.` lists every key starting with it), in no particular order. */
  keys(prefix?: string): Promise<string[]>;
  /** Values under a prefix. */
  list<T>(prefix?: string): Promise<Array<StoredValue<T>>>;
}

const KEY_SAFE = /^[-/_=.a-zA-Z0-9]+$/;

/**
 * Builds a store key from parts. Dots separate the parts, so prefixes like `apps.` list a whole
 * family; a part that is not key-safe or contains a dot becomes `=` + its base64url form, which
 * KV accepts and storeKeyPart() reverses.
 */
export function storeKey(...parts: string[]): string {
  return parts.map((part) => (KEY_SAFE.test(part) && !part.startsWith('=') && !part.includes('.') ? part : `=${Buffer.from(part).toString('base64url')}`)).join('.');
}

/** Decodes one part made by storeKey(). */
export function storeKeyPart(encoded: string): string {
  return encoded.startsWith('=') ? Buffer.from(encoded.slice(1), 'base64url').toString() : encoded;
}
