import { pino, type Logger } from 'pino';
import { InputError } from './errors';

export type { Logger } from 'pino';

/** The variable every process reads its log level from. */
export const LOG_LEVEL_ENV = 'PANDO_LOG_LEVEL';
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

/**
 * The log level in `env` (PANDO_LOG_LEVEL; unset or empty: info; case and surrounding blanks do
 * not matter). Anything else is an InputError naming the variable, the value and the choices:
 * pino itself would throw "unknown level" with a stack trace that names neither.
 */
export function logLevelFrom(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const raw = env[LOG_LEVEL_ENV];
  if (raw === undefined || raw.trim() === '') return DEFAULT_LOG_LEVEL;
  const level = raw.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  const problem = `${LOG_LEVEL_ENV} = '${raw}': expected ${LOG_LEVELS.slice(0, -1).join(', ')} or ${LOG_LEVELS[LOG_LEVELS.length - 1]}`;
  throw new InputError(`invalid configuration: ${problem}`, [problem]);
}

/**
 * Structured JSON logs on stdout (pino). One root logger per process, children per component,
 * so every line names the process and the component that wrote it.
 */
let root: Logger | undefined;

export function rootLogger(): Logger {
  root ??= pino({
    level: logLevelOrExit(),
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
  return root;
}

export function createLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ component, ...bindings });
}

/**
 * The root logger is first made while the process's modules load (module-level `createLogger`),
 * before any main() could catch an error: a bad level is a configuration error like any other
 * bad option, so the process stops here, with the message on stderr and exit status 1 (what every
 * app does for a bad option), rather than with an uncaught exception's stack.
 */
function logLevelOrExit(): LogLevel {
  try {
    return logLevelFrom(process.env);
  } catch (err) {
    const name = (process.argv[1] ?? 'pando').replace(/^.*\/dist\/apps\/([^/]+)\/.*$/, 'pando-$1').replace(/^.*\//, '');
    process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return process.exit(1);
  }
}
