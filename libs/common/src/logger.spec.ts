import { InputError } from './errors';
import { LOG_LEVELS, logLevelFrom } from './logger';

describe('logLevelFrom', () => {
  it('defaults to info when PANDO_LOG_LEVEL is unset or empty', () => {
    expect(logLevelFrom({})).toBe('info');
    expect(logLevelFrom({ PANDO_LOG_LEVEL: '' })).toBe('info');
    expect(logLevelFrom({ PANDO_LOG_LEVEL: '  ' })).toBe('info');
  });

  it("accepts pino's levels, whatever their case", () => {
    for (const level of LOG_LEVELS) expect(logLevelFrom({ PANDO_LOG_LEVEL: level })).toBe(level);
    expect(logLevelFrom({ PANDO_LOG_LEVEL: ' Debug ' })).toBe('debug');
  });

  it('refuses anything else with an InputError naming the variable, the value and the choices', () => {
    let error: unknown;
    try {
      logLevelFrom({ PANDO_LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(
      "invalid configuration: PANDO_LOG_LEVEL = 'loud': expected trace, debug, info, warn, error, fatal or silent",
    );
    expect((error as InputError).details).toEqual(["PANDO_LOG_LEVEL = 'loud': expected trace, debug, info, warn, error, fatal or silent"]);
  });
});

describe('rootLogger with a bad PANDO_LOG_LEVEL', () => {
  const saved = process.env.PANDO_LOG_LEVEL;
  afterEach(() => {
    if (saved === undefined) delete process.env.PANDO_LOG_LEVEL;
    else process.env.PANDO_LOG_LEVEL = saved;
    jest.restoreAllMocks();
  });

  it('stops the process with exit status 1 and one line naming the variable, instead of a pino stack', () => {
    process.env.PANDO_LOG_LEVEL = 'verbose';
    const written: string[] = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const exit = jest.spyOn(process, 'exit').mockImplementation((code?: string | number | null) => {
      throw new Error(`exit ${code}`);
    });
    jest.isolateModules(() => {
      // A fresh module: its root logger is not made yet, as at a process's start.
      const { createLogger } = require('./logger') as typeof import('./logger');
      expect(() => createLogger('test')).toThrow('exit 1');
    });
    expect(exit).toHaveBeenCalledWith(1);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/: invalid configuration: PANDO_LOG_LEVEL = 'verbose': expected trace, debug, info, warn, error, fatal or silent\n$/);
  });
});
