import { InputError } from '@pando/common';
import { parsePluginOptions, parsePluginPorts, readFrameworkHostOptions } from './framework-host.options';

describe('framework host options', () => {
  it('reads flags over environment over defaults', () => {
    const options = readFrameworkHostOptions(['--plugins', 'marathon,./my-plugin', '--plugin-ports', 'marathon=8081'], {
      PANDO_PLUGINS: 'chronos',
      PANDO_KV_REPLICAS: '3',
      PANDO_FRAMEWORK_HOST_ADVERTISE_HOST: 'host-a',
    });
    expect(options.plugins).toEqual(['marathon', './my-plugin']);
    expect(options.pluginPorts).toEqual({ marathon: 8081 });
    expect(options.kvReplicas).toBe(3);
    expect(options.advertiseHost).toBe('host-a');
    expect(options.httpHost).toBe('0.0.0.0');
    expect(options.leaseTtlMs).toBe(10_000);
    expect(options.hostId).toMatch(/^host-/);
  });

  it('parses plugin options per plugin, splitting at the first dot and equals sign', () => {
    expect(parsePluginOptions('marathon.zk.url=a=b,chronos.timezone=UTC,marathon.x=')).toEqual({
      marathon: { 'zk.url': 'a=b', x: '' },
      chronos: { timezone: 'UTC' },
    });
  });

  it('reports every bad value at once, naming flag and variable', () => {
    expect(() => parsePluginPorts('marathon=99999,chronos')).toThrow(/'marathon=99999' is not .*; 'chronos' is not/);
    let error: unknown;
    try {
      readFrameworkHostOptions(['--kv-replicas', '2', '--plugin-opts', 'nodot=1'], {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).details).toEqual([
      expect.stringMatching(/^--plugin-opts \/ PANDO_PLUGIN_OPTS = 'nodot=1': 'nodot=1' is not <plugin-id>\.<key>=<value>/),
      expect.stringMatching(/^--kv-replicas \/ PANDO_KV_REPLICAS = '2': expected 1, 3 or 5/),
    ]);
  });
});
