import { InputError } from '../errors';
import { parsers, readOptions, type OptionSpec } from './options';

const specs = {
  http: { flag: 'http', env: 'PANDO_TEST_HTTP', description: 'listen address', default: { host: '0.0.0.0', port: 5050 }, parse: parsers.listenAddress } as OptionSpec<{ host: string; port: number }>,
  replicas: { flag: 'kv-replicas', env: 'PANDO_TEST_REPLICAS', description: 'replicas', default: 1, parse: parsers.int(1, 5) } as OptionSpec<number>,
  verbose: { flag: 'verbose', env: 'PANDO_TEST_VERBOSE', description: 'verbose', default: false, parse: parsers.bool } as OptionSpec<boolean>,
};

function errorOf(run: () => unknown): InputError {
  try {
    run();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('readOptions', () => {
  it('takes a flag over the variable over the default; an empty variable means the default', () => {
    expect(readOptions(specs, ['--kv-replicas=3'], { PANDO_TEST_REPLICAS: '5', PANDO_TEST_HTTP: ':6000', PANDO_TEST_VERBOSE: '' })).toEqual({
      http: { host: '0.0.0.0', port: 6000 },
      replicas: 3,
      verbose: false,
    });
  });

  it('names the variable (and its flag) of a bad value that came from the environment', () => {
    const error = errorOf(() => readOptions(specs, [], { PANDO_TEST_HTTP: '0.0.0.0:70000' }));
    expect(error.details).toEqual(["--http / PANDO_TEST_HTTP = '0.0.0.0:70000': expected host:port with a port from 0 to 65535"]);
    expect(error.message).toBe(`invalid configuration: ${error.details[0]}`);
  });

  it('reports every bad value at once, from flags and variables alike', () => {
    const error = errorOf(() => readOptions(specs, ['--verbose', 'maybe'], { PANDO_TEST_HTTP: 'abc', PANDO_TEST_REPLICAS: '9' }));
    expect(error.details).toEqual([
      "--http / PANDO_TEST_HTTP = 'abc': expected host:port with a port from 0 to 65535",
      "--kv-replicas / PANDO_TEST_REPLICAS = '9': expected an integer from 1 to 5",
      "--verbose / PANDO_TEST_VERBOSE = 'maybe': expected true or false",
    ]);
  });

  it('ignores a bad variable that a flag overrides', () => {
    expect(readOptions(specs, ['--http', ':7000'], { PANDO_TEST_HTTP: 'abc' }).http).toEqual({ host: '0.0.0.0', port: 7000 });
  });

  it('refuses an unknown flag with an InputError', () => {
    expect(errorOf(() => readOptions(specs, ['--nope', 'x'], {})).message).toMatch(/^invalid command line: .*nope/);
  });
});
