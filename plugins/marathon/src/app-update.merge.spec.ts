import { NotFoundError } from '@pando/common';
import { appSpecJson } from './app-json.view';
import { parseApp } from './app.schema';
import {
  applyAppUpdate,
  createApp,
  isConfigChange,
  isOnlyScaleChange,
  needsRestart,
  nextVersion,
  restartApp,
  runsCurrentConfig,
  scaleApp,
} from './app-update.merge';
import { MarathonValidationError } from './marathon-validation.error';
import { assignServicePorts, servicePortsOf } from './service-ports';
import { T0 } from './testing/marathon.fixtures';

const base = () => createApp(parseApp({ id: 'web', cmd: 'sleep 100', instances: 2, labels: { team: 'a' } }), T0);

describe('versions', () => {
  it('are ISO timestamps, strictly increasing even within one millisecond', () => {
    expect(nextVersion(T0)).toBe('2024-05-01T10:00:00.000Z');
    expect(nextVersion(T0, '2024-05-01T10:00:00.000Z')).toBe('2024-05-01T10:00:00.001Z');
    expect(nextVersion(T0 + 5000, '2024-05-01T10:00:00.000Z')).toBe('2024-05-01T10:00:05.000Z');
  });

  it('record config changes and scalings in versionInfo', () => {
    const app = base();
    expect(app.versionInfo).toEqual({ lastScalingAt: app.version, lastConfigChangeAt: app.version });
    const scaled = scaleApp(app, 5, T0 + 1000);
    expect(scaled.versionInfo).toEqual({ lastScalingAt: scaled.version, lastConfigChangeAt: app.version });
    expect(isOnlyScaleChange(app, scaled)).toBe(true);
    expect(needsRestart(app, scaled)).toBe(false);
    const restarted = restartApp(scaled, T0 + 2000);
    expect(isConfigChange(scaled, restarted)).toBe(false);
    expect(needsRestart(scaled, restarted)).toBe(true);
    expect(runsCurrentConfig(app.version, scaled)).toBe(true);
    expect(runsCurrentConfig(scaled.version, restarted)).toBe(false);
  });
});

describe('applyAppUpdate', () => {
  const opts = { now: T0 + 60_000 };

  it('creates the app when it does not exist (PUT on a new id)', () => {
    const result = applyAppUpdate('/new', undefined, { cmd: 'x' }, opts);
    expect(result.change).toBe('create');
    expect(result.app.id).toBe('/new');
    expect(result.app.version).toBe('2024-05-01T10:01:00.000Z');
  });

  it('changes only the fields given (partialUpdate, the default)', () => {
    const result = applyAppUpdate('/web', base(), { mem: 256 }, opts);
    expect(result.change).toBe('config');
    expect(result.app).toMatchObject({ mem: 256, cmd: 'sleep 100', instances: 2, labels: { team: 'a' } });
    expect(result.app.versionInfo).toEqual({ lastScalingAt: result.app.version, lastConfigChangeAt: result.app.version });
  });

  it('treats an instance count as a scale, not a restart', () => {
    const current = base();
    const result = applyAppUpdate('/web', current, { instances: 7 }, opts);
    expect(result.change).toBe('scale');
    expect(result.app.instances).toBe(7);
    expect(result.app.versionInfo.lastConfigChangeAt).toBe(current.version);
  });

  it('reports no change when the body changes nothing', () => {
    const current = base();
    expect(applyAppUpdate('/web', current, { cmd: 'sleep 100', labels: { team: 'a' } }, opts)).toEqual({ app: current, change: 'none', rollback: false });
  });

  it('replaces args with cmd and the reverse', () => {
    const withArgs = applyAppUpdate('/web', base(), { args: ['sleep', '5'] }, opts).app;
    expect(withArgs.cmd).toBeUndefined();
    expect(withArgs.args).toEqual(['sleep', '5']);
    expect(applyAppUpdate('/web', withArgs, { cmd: 'true' }, opts).app.args).toBeUndefined();
  });

  it('replaces the whole definition with partialUpdate=false', () => {
    const result = applyAppUpdate('/web', base(), { cmd: 'other' }, { ...opts, partialUpdate: false });
    expect(result.app).toMatchObject({ cmd: 'other', instances: 1, labels: {} });
  });

  it('moves an app from host to bridge networking without leftovers', () => {
    const result = applyAppUpdate('/web', base(), { networks: [{ mode: 'container/bridge' }], container: { docker: { image: 'nginx' }, portMappings: [{ containerPort: 80 }] } }, opts);
    expect(result.app.portDefinitions).toEqual([]);
    expect(result.app.container?.portMappings).toEqual([{ containerPort: 80, hostPort: 0, servicePort: 0, protocol: 'tcp' }]);
    const back = applyAppUpdate('/web', result.app, { networks: [{ mode: 'host' }] }, opts);
    expect(back.app.portDefinitions).toEqual([{ port: 0, protocol: 'tcp', name: 'default' }]);
    expect(back.app.container).not.toHaveProperty('portMappings');
  });

  it('validates the merged app and reports with Marathon paths', () => {
    expect(() => applyAppUpdate('/web', base(), { cpus: -2, instances: 'x' }, opts)).toThrow(MarathonValidationError);
    try {
      applyAppUpdate('/web', base(), { cpus: -2 }, opts);
    } catch (err) {
      expect((err as MarathonValidationError).toMarathonJson().details).toEqual([{ path: '/cpus', errors: ['got -2, expected 0 or more'] }]);
    }
  });

  it('uses the id in the URL whatever the body says', () => {
    expect(applyAppUpdate('/web', base(), { id: '/other', mem: 64 }, opts).app.id).toBe('/web');
  });

  it('rolls back to a version given alone, as a config change', () => {
    const v1 = base();
    const v2 = applyAppUpdate('/web', v1, { mem: 512, instances: 3 }, opts).app;
    const result = applyAppUpdate('/web', v2, { version: v1.version }, { now: T0 + 120_000, findVersion: (v) => (v === v1.version ? v1 : undefined) });
    expect(result.rollback).toBe(true);
    expect(result.change).toBe('config');
    expect(result.app).toMatchObject({ mem: 128, instances: 2, version: '2024-05-01T10:02:00.000Z' });
    expect(result.app.versionInfo.lastConfigChangeAt).toBe(result.app.version);
  });

  it('refuses a version mixed with other fields, and unknown versions', () => {
    try {
      applyAppUpdate('/web', base(), { version: '2024-01-01T00:00:00.000Z', cmd: 'x' }, opts);
      throw new Error('expected a validation error');
    } catch (err) {
      expect((err as MarathonValidationError).toMarathonJson().details).toEqual([{ path: '/', errors: ["The 'version' field may only be combined with the 'id' field."] }]);
    }
    expect(() => applyAppUpdate('/web', base(), { id: '/web', version: '2024-01-01T00:00:00.000Z' }, { ...opts, findVersion: () => undefined })).toThrow(NotFoundError);
  });

  it('assigns service ports, keeping the previous ones on update', () => {
    const created = applyAppUpdate('/web', undefined, { cmd: 'x', portDefinitions: [{ port: 0 }, { port: 0 }] }, { ...opts, servicePorts: { usedByOthers: new Set([10000]) } }).app;
    expect(servicePortsOf(created)).toEqual([10001, 10002]);
    const updated = applyAppUpdate('/web', created, { cmd: 'y', portDefinitions: [{ port: 0 }, { port: 0 }, { port: 0 }] }, { ...opts, servicePorts: { usedByOthers: new Set([10000]) } }).app;
    expect(servicePortsOf(updated)).toEqual([10001, 10002, 10003]);
  });
});

describe('assignServicePorts', () => {
  it('fills bridge port mappings and refuses when the range is full', () => {
    const spec = parseApp({ id: 'a', networks: [{ mode: 'container/bridge' }], container: { docker: { image: 'x' }, portMappings: [{ containerPort: 80 }, { containerPort: 81, servicePort: 9000 }] } });
    expect(servicePortsOf(assignServicePorts(spec, new Set()))).toEqual([10000, 9000]);
    expect(() => assignServicePorts(spec, new Set([10000, 10001]), undefined, { min: 10000, max: 10001 })).toThrow(/no free service port/);
  });
});

describe('appSpecJson', () => {
  const bodies: Array<Record<string, unknown>> = [
    { id: 'plain', cmd: 'sleep 1' },
    { id: 'argv', args: ['sleep', '1'], user: 'nobody', acceptedResourceRoles: ['*', 'web'], taskKillGracePeriodSeconds: 30 },
    {
      id: '/shop/web',
      cmd: 'serve',
      instances: 3,
      cpus: 0.25,
      mem: 64,
      disk: 10,
      env: { A: '1' },
      labels: { HAPROXY_GROUP: 'external' },
      portDefinitions: [{ port: 10010, name: 'http', labels: { VIP_0: '/web:80' } }, { port: 0, protocol: 'udp' }],
      requirePorts: true,
      constraints: [['hostname', 'UNIQUE'], ['rack', 'GROUP_BY', '2']],
      healthChecks: [{ protocol: 'HTTP', path: '/health', portIndex: 0, ignoreHttp1xx: true }],
      readinessChecks: [{ portName: 'http' }],
      dependencies: ['/shop/db'],
      upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0.2 },
      unreachableStrategy: 'disabled',
      killSelection: 'OLDEST_FIRST',
      backoffSeconds: 5,
      backoffFactor: 2,
      maxLaunchDelaySeconds: 60,
    },
    {
      id: 'bridged',
      networks: [{ mode: 'container/bridge' }],
      container: {
        type: 'DOCKER',
        docker: { image: 'nginx:1.27', forcePullImage: true, privileged: true, parameters: [{ key: 'ulimit', value: 'nofile=1024' }] },
        portMappings: [{ containerPort: 80, hostPort: 0, name: 'http', protocol: 'tcp,udp' }, { containerPort: 443, hostPort: 8443 }],
        volumes: [{ containerPath: '/data', hostPath: '/srv/data', mode: 'RO' }],
      },
      healthChecks: [{ protocol: 'COMMAND', command: { value: 'true' } }],
    },
  ];

  it.each(bodies)('reads back as the same spec (%#)', (body) => {
    const spec = parseApp(body);
    expect(parseApp(appSpecJson(spec))).toEqual(spec);
  });
});
