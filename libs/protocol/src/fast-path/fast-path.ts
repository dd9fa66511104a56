import type { z } from 'zod';

/**
 * Hand-written checks in front of zod for the messages of the launch path (tens of thousands a
 * second at full rate, where zod's generic walk over every task of a batch was the largest single
 * cost after JSON itself). A fast check answers one of two things: "valid, and already exactly what
 * the schema would return" (no unknown keys to strip, no defaults to fill in), or "not sure". On
 * "not sure" the message goes through zod as before, which accepts it or reports every problem
 * with its path. So a fast check may be stricter than its schema (it knows only the common shapes:
 * scalar resources, no reservations, no containers), but never looser; the property-based spec
 * holds every check to that against zod.
 */
export type FastCheck = (value: unknown) => boolean;

const fastChecks = new WeakMap<z.ZodType, FastCheck>();

/** Puts `check` in front of `schema` when it is decoded or validated (see codec's validate). */
export function withFastPath<S extends z.ZodType>(schema: S, check: FastCheck): S {
  fastChecks.set(schema, check);
  return schema;
}

export function fastCheckOf(schema: z.ZodType): FastCheck | undefined {
  return fastChecks.get(schema);
}

// ---- building blocks, each mirroring one zod constraint exactly (or stricter) ------------------

/** An object as JSON.parse makes it (zod would copy anything else, so it is left to zod). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** Only known keys: zod strips unknown ones, and the fast path returns its input unchanged. */
export function hasOnlyKeys(value: Record<string, unknown>, keys: ReadonlySet<string>): boolean {
  for (const key in value) if (!keys.has(key)) return false;
  return true;
}

export function isString(value: unknown, min: number, max: number): value is string {
  return typeof value === 'string' && value.length >= min && value.length <= max;
}

export function isOptionalString(value: unknown, min: number, max: number): boolean {
  return value === undefined || isString(value, min, max);
}

const ID_PATTERN = /^[A-Za-z0-9_\-:]+$/;

/** idSchema: 1-200 of letters, digits, '_', '-', ':'. */
export function isId(value: unknown): value is string {
  return isString(value, 1, 200) && ID_PATTERN.test(value);
}

/** z.number().int(): a safe integer (zod refuses unsafe ones too). */
export function isInt(value: unknown, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): value is number {
  return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;
}

/** z.number(): finite (zod refuses NaN and ±Infinity). */
export function isNumber(value: unknown, min = -Infinity, max = Infinity): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;
}

/** An array of `min`-`max` items, each passing `item`. */
export function isArrayOf(value: unknown, min: number, max: number, item: FastCheck): boolean {
  if (!Array.isArray(value) || value.length < min || value.length > max) return false;
  for (const element of value) if (!item(element)) return false;
  return true;
}

/** A record of string keys and values within the given lengths (labels, env). */
export function isStringRecord(value: unknown, keyMin: number, keyMax: number, valueMax: number): boolean {
  if (!isPlainObject(value)) return false;
  for (const key in value) {
    // zod's record does not copy a '__proto__' key over: what it returns would differ.
    if (key === '__proto__') return false;
    if (key.length < keyMin || key.length > keyMax || !isString(value[key], 0, valueMax)) return false;
  }
  return true;
}

/** Exactly one of two alternative fields is there (exactlyOneOf). */
export function oneOf(value: Record<string, unknown>, one: string, many: string): boolean {
  return (value[one] === undefined) !== (value[many] === undefined);
}
