import { InputError } from '@pando/common';
import { readAgentConfig } from './agent.options';

const known = ['command'];

describe('readAgentConfig', () => {
  it('uses the defaults', () => {
    const config = readAgentConfig(known, [], {});
    expect(config.http).toEqual({ host: '0.0.0.0', port: 5051 });
    expect(config.workDir).toBe(`${process.cwd()}/.pando/agent`);
    expect(config.executors).toEqual(['command']);
    expect(config.attributes).toEqual({});
    expect(config.executorOptions).toEqual({});
    expect(config.killGraceMs).toBe(5000);
    expect(config.memReserveMb).toBeUndefined();
    expect(config.resources).toBeUndefined();
    expect(config.advertiseHost).toBe(config.hostname);
    expect(config.nats.servers).toEqual(['nats://127.0.0.1:4222']);
  });

  it('lets a flag win over the environment, and the environment over the default', () => {
    const env = { PANDO_AGENT_HTTP: ':6000', PANDO_AGENT_HOSTNAME: 'from-env', PANDO_AGENT_KILL_GRACE_MS: '100' };
    const config = readAgentConfig(known, ['--hostname', 'from-flag', '--advertise-host=10.0.0.5'], env);
    expect(config.hostname).toBe('from-flag');
    expect(config.advertiseHost).toBe('10.0.0.5');
    expect(config.http).toEqual({ host: '0.0.0.0', port: 6000 });
    expect(config.killGraceMs).toBe(100);
  });

  it('parses resources, attributes, executor options and NATS settings', () => {
    const config = readAgentConfig(
      known,
      ['--resources', 'cpus:2;mem:512', '--attributes', 'rack:r1;level:3', '--executor-opts', 'a=1,b=2', '--mem-reserve-mb', '0', '--nats-servers', 'nats://a:1,nats://b:2'],
      { PANDO_AGENT_WORK_DIR: '/var/lib/pando' },
    );
    expect(config.resources?.toString()).toBe('cpus:2;mem:512');
    expect(config.attributes).toEqual({ rack: 'r1', level: 3 });
    expect(config.executorOptions).toEqual({ a: '1', b: '2' });
    expect(config.memReserveMb).toBe(0);
    expect(config.workDir).toBe('/var/lib/pando');
    expect(config.nats.servers).toEqual(['nats://a:1', 'nats://b:2']);
  });

  it('reports an unparseable --resources with the parse error, naming the flag and variable', () => {
    expect(() => readAgentConfig(known, ['--resources', 'cpus:x'], {})).toThrow(
      "--resources / PANDO_AGENT_RESOURCES = 'cpus:x': invalid resources 'cpus:x'",
    );
  });

  it('reports every bad value at once', () => {
    let error: unknown;
    try {
      readAgentConfig(known, ['--attributes', 'rack'], { PANDO_AGENT_KILL_GRACE_MS: '-1', PANDO_AGENT_HTTP: 'nope' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).details).toHaveLength(3);
    expect((error as InputError).message).toContain("attribute 'rack' must look like name:value");
  });

  it('refuses unknown flags and unknown executors', () => {
    expect(() => readAgentConfig(known, ['--nope', 'x'], {})).toThrow(InputError);
    expect(() => readAgentConfig(known, ['--executors', 'command,docker'], {})).toThrow("unknown executor 'docker' (known: command)");
  });
});
