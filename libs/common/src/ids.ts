import { randomUUID } from 'node:crypto';

/**
 * Ids are used as NATS subject tokens, so they must never contain '.', '*', '>' or whitespace.
 * UUIDs satisfy that; the prefix only helps a human reading logs.
 */
export function newId(prefix?: string): string {
  const id = randomUUID();
  return prefix ? `${prefix}-${id}` : id;
}

const SUBJECT_TOKEN = /^[A-Za-z0-9_\-:]+$/;

/** True when the id can be used as one NATS subject token. */
export function isSubjectSafeId(id: string): boolean {
  return id.length > 0 && id.length <= 200 && SUBJECT_TOKEN.test(id);
}
