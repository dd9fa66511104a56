import type { z } from 'zod';
import { InputError } from '@pando/common';
import { fastCheckOf } from './fast-path/fast-path';

/**
 * JSON on the wire, validated on the way in. decode() never returns unvalidated data: a
 * malformed message becomes an InputError listing every problem with its path, which the
 * caller logs or returns as a typed error reply; it never reaches state.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encode(message: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

export function decode<S extends z.ZodType>(schema: S, data: Uint8Array | string, what: string): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(typeof data === 'string' ? data : decoder.decode(data));
  } catch (err) {
    throw new InputError(`malformed ${what}: not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return validate(schema, json, what);
}

export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  // A message the schema's fast check vouches for is returned as it is (see fast-path.ts).
  if (fastCheckOf(schema)?.(value)) return value as z.infer<S>;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`);
  throw new InputError(`invalid ${what}: ${problems.join('; ')}`, problems);
}
