import { parseArgs } from 'node:util';
import { InputError } from '../errors';

/**
 * Every process reads its settings the same way: a `--flag value` (or `--flag=value`) wins over
 * the environment variable, which wins over the default. A bad value is an InputError that names
 * both the flag and the variable, so an operator knows which knob to fix.
 */
export interface OptionSpec<T> {
  /** Flag name without dashes, kebab-case: `nats-servers`. */
  flag: string;
  /** Environment variable: `PANDO_NATS_SERVERS`. */
  env: string;
  description: string;
  default?: T;
  parse: (raw: string) => T;
}

export type OptionSpecs = Record<string, OptionSpec<unknown>>;
export type OptionValues<S extends OptionSpecs> = {
  [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never;
};

export function readOptions<S extends OptionSpecs>(
  specs: S,
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): OptionValues<S> {
  const parsed = parseFlags(specs, argv);
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const raw = parsed[spec.flag] ?? env[spec.env];
    if (raw === undefined || raw === '') {
      values[key] = spec.default;
      continue;
    }
    try {
      values[key] = spec.parse(raw);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      problems.push(`--${spec.flag} / ${spec.env} = '${raw}': ${why}`);
    }
  }
  if (problems.length > 0) throw new InputError(`invalid configuration: ${problems.join('; ')}`, problems);
  return values as OptionValues<S>;
}

function parseFlags(specs: OptionSpecs, argv: readonly string[]): Record<string, string | undefined> {
  const options: Record<string, { type: 'string' }> = {};
  for (const spec of Object.values(specs)) options[spec.flag] = { type: 'string' };
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
    return values as Record<string, string | undefined>;
  } catch (err) {
    throw new InputError(`invalid command line: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** A help text listing every flag, its variable and its default, for `--help` and the README. */
export function describeOptions(specs: OptionSpecs): string {
  return Object.values(specs)
    .map((s) => `  --${s.flag} (${s.env})${s.default === undefined ? '' : ` [default: ${String(s.default)}]`}\n      ${s.description}`)
    .join('\n');
}

// Parsers shared by the apps' option specs.
export const parsers = {
  string: (raw: string): string => raw,
  list: (raw: string): string[] =>
    raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  int: (min: number, max: number) => (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`expected an integer from ${min} to ${max}`);
    return n;
  },
  number: (min: number, max: number) => (raw: string): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`expected a number from ${min} to ${max}`);
    return n;
  },
  bool: (raw: string): boolean => {
    if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
    throw new Error('expected true or false');
  },
  /** `host:port`, `:port` or `port`; host defaults to 0.0.0.0. */
  listenAddress: (raw: string): { host: string; port: number } => {
    const m = /^(?:(.*):)?(\d+)$/.exec(raw.trim());
    const port = m ? Number(m[2]) : NaN;
    if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error('expected host:port with a port from 0 to 65535');
    return { host: m[1] && m[1].length > 0 ? m[1].replace(/^\[|\]$/g, '') : '0.0.0.0', port };
  },
};
