import { InputError } from '@pando/common';

/** Agent attributes as the master and /state show them: `rack:r1;level:10` -> {rack: 'r1', level: 10}. */
export type Attributes = Record<string, string | number>;

const NAME = /^[A-Za-z0-9_.\-/]+$/;
const NUMBER = /^-?\d+(\.\d+)?$/;
const MAX_NAME = 128;
const MAX_VALUE = 1024;

/**
 * Parses the Mesos attribute text form `name:value;name2:value2`. Values that look like numbers
 * become numbers, so constraints such as `level >= 10` compare numerically. Every bad token is
 * reported at once (naming the token), so an operator fixes the flag in one go.
 */
export function parseAttributes(text: string): Attributes {
  const attributes: Attributes = {};
  const problems: string[] = [];
  for (const raw of text.split(';')) {
    const token = raw.trim();
    if (token.length === 0) continue;
    const colon = token.indexOf(':');
    if (colon < 0) {
      problems.push(`attribute '${token}' must look like name:value`);
      continue;
    }
    const name = token.slice(0, colon).trim();
    const value = token.slice(colon + 1).trim();
    const problem = checkAttribute(token, name, value, attributes);
    if (problem) {
      problems.push(problem);
      continue;
    }
    attributes[name] = NUMBER.test(value) && Number.isFinite(Number(value)) ? Number(value) : value;
  }
  if (problems.length > 0) throw new InputError(`invalid attributes: ${problems.join('; ')}`, problems);
  return attributes;
}

function checkAttribute(token: string, name: string, value: string, seen: Attributes): string | undefined {
  if (name.length === 0) return `attribute '${token}' has no name`;
  if (name.length > MAX_NAME) return `attribute '${token}': name is longer than ${MAX_NAME} characters`;
  if (!NAME.test(name)) return `attribute '${token}': name may contain only letters, digits, '_', '-', '.' and '/'`;
  if (value.length === 0) return `attribute '${token}' has no value`;
  if (value.length > MAX_VALUE) return `attribute '${token}': value is longer than ${MAX_VALUE} characters`;
  if (Object.hasOwn(seen, name)) return `attribute '${name}' is given twice`;
  return undefined;
}

/** Parses `key=value,key2=value2` (the executor options handed to executor plugins). */
export function parseKeyValues(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const problems: string[] = [];
  for (const raw of text.split(',')) {
    const token = raw.trim();
    if (token.length === 0) continue;
    const eq = token.indexOf('=');
    const key = eq < 0 ? '' : token.slice(0, eq).trim();
    if (eq < 0 || key.length === 0) {
      problems.push(`'${token}' must look like key=value`);
      continue;
    }
    if (Object.hasOwn(values, key)) {
      problems.push(`'${key}' is given twice`);
      continue;
    }
    values[key] = token.slice(eq + 1).trim();
  }
  if (problems.length > 0) throw new InputError(problems.join('; '), problems);
  return values;
}
