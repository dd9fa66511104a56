import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured JSON logs on stdout (pino). One root logger per process, children per component,
 * so every line names the process and the component that wrote it.
 */
let root: Logger | undefined;

export function rootLogger(): Logger {
  root ??= pino({
    level: process.env.PANDO_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
  return root;
}

export function createLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ component, ...bindings });
}
