import { InputError } from '@pando/common';
import { normalizeCapability, parseDockerExecutorOptions } from './docker-executor.options';

describe('parseDockerExecutorOptions', () => {
  it('has safe defaults', () => {
    const options = parseDockerExecutorOptions({ 'other-plugin-opt': 'x' });
    expect(options).toEqual({
      socketPath: '/var/run/docker.sock',
      volumeAllow: [],
      allowPrivileged: false,
      allowCapabilities: new Set(),
      cpuMode: 'quota',
      keepContainers: false,
    });
  });

  it('reads every option', () => {
    const options = parseDockerExecutorOptions({
      'docker-socket': '/run/docker.sock',
      'docker-volume-allow': '/srv/data/:/mnt/shared',
      'docker-allow-privileged': 'true',
      'docker-allow-capabilities': 'NET_ADMIN,cap_sys_time:CHOWN',
      'docker-cpu-mode': 'shares',
      'docker-keep-containers': 'yes',
    });
    expect(options).toEqual({
      socketPath: '/run/docker.sock',
      volumeAllow: ['/srv/data/', '/mnt/shared'],
      allowPrivileged: true,
      allowCapabilities: new Set(['NET_ADMIN', 'SYS_TIME', 'CHOWN']),
      cpuMode: 'shares',
      keepContainers: true,
    });
  });

  it('reports every bad option at once', () => {
    const read = () =>
      parseDockerExecutorOptions({
        'docker-socket': 'docker.sock',
        'docker-volume-allow': 'relative:/ok:/a/../b',
        'docker-allow-privileged': 'maybe',
        'docker-cpu-mode': 'fair',
        'docker-keep-container': 'true',
      });
    expect(read).toThrow(InputError);
    try {
      read();
    } catch (err) {
      expect((err as InputError).details).toHaveLength(6);
    }
  });

  it('normalizes capability names', () => {
    expect(normalizeCapability(' cap_net_raw ')).toBe('NET_RAW');
  });
});
