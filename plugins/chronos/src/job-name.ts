/**
 * Job names and the keys they are stored under.
 *
 * Chronos accepts names matching `[\w\s.#_-]+`. Pando accepts the same characters except the
 * whitespace other than a plain space (tab, newline, ...): those break the graph CSV and DOT
 * renderings, log lines and URLs. Leading or trailing spaces are refused too (they cannot be told
 * apart in a URL or a list), as are `.` and `..` (path segments a URL normalizer would eat).
 */
export const MAX_JOB_NAME_LENGTH = 200;

const NAME_PATTERN = /^[A-Za-z0-9_.# -]+$/;

/** What is wrong with a job name, or undefined when it is acceptable. */
export function jobNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > MAX_JOB_NAME_LENGTH) return `must be at most ${MAX_JOB_NAME_LENGTH} characters`;
  if (!NAME_PATTERN.test(name)) {
    const bad = [...new Set([...name].filter((c) => !NAME_PATTERN.test(c)))].map(describeChar).join(', ');
    return `'${printable(name)}' may only contain letters, digits, spaces and . # _ - (not ${bad})`;
  }
  if (name !== name.trim()) return `'${name}' must not start or end with a space`;
  if (name === '.' || name === '..') return `'${name}' is not a usable name`;
  return undefined;
}

/**
 * The key a job is stored under in a NATS KV bucket, whose keys allow only `[-/_=.a-zA-Z0-9]`:
 * the name's UTF-8 bytes in unpadded base64url, which is reversible and never contains `.`
 * (a KV key may not start or end with one).
 */
export function jobKey(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64url');
}

/** The job name a key was made from (the inverse of `jobKey`). */
export function jobNameFromKey(key: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(key)) throw new Error(`'${key}' is not a job key`);
  return Buffer.from(key, 'base64url').toString('utf8');
}

function describeChar(c: string): string {
  if (c === '\t') return 'tab';
  if (c === '\n') return 'newline';
  if (c === '\r') return 'carriage return';
  const code = c.codePointAt(0) ?? 0;
  return code < 0x20 || code === 0x7f ? `U+${code.toString(16).padStart(4, '0').toUpperCase()}` : `'${c}'`;
}

function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
