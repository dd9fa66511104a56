// Imported first by specs: keeps pino quiet unless PANDO_LOG_LEVEL asks otherwise.
process.env.PANDO_LOG_LEVEL ??= 'silent';
export {};
