import { healthCheckSchema, taskSpecSchema } from '@pando/protocol';
import { buildTaskSpec, stagedAppTask, TASK_LABEL_APP_ID, TASK_LABEL_APP_VERSION, TASK_LABEL_HOST_PORTS } from './app-task.factory';
import { matchOffer, type OfferMatch } from './offer.matcher';
import { app, offer, T0 } from './testing/marathon.fixtures';

const UUID = '0f8c4a1e-8a9b-4d33-9b0e-e11c5513990b';

describe('buildTaskSpec', () => {
  it('runs a cmd app with the command executor and Marathon\'s environment', () => {
    const web = app({
      id: '/team/web',
      cmd: 'python -m http.server $PORT0',
      cpus: 0.5,
      mem: 64,
      user: 'nobody',
      env: { MODE: 'prod', PORT0: 'overridden-by-app' },
      labels: { owner: 'zeus', 'team.name': 'a' },
      portDefinitions: [{ port: 10001, name: 'http' }, { port: 0, name: 'admin-api' }],
      healthChecks: [{ protocol: 'MESOS_HTTP', path: '/health', portIndex: 1 }],
      taskKillGracePeriodSeconds: 30,
    });
    const match = matchOffer(web, offer(), []) as OfferMatch;
    const spec = buildTaskSpec({ app: web, offer: offer(), match, taskId: `team_web:${UUID}` });
    expect(() => taskSpecSchema.parse(spec)).not.toThrow();
    expect(() => healthCheckSchema.parse(spec.healthCheck)).not.toThrow();
    expect(spec).toMatchObject({
      taskId: `team_web:${UUID}`,
      name: 'web.team',
      agentId: 'agent-1',
      executor: 'command',
      resources: match.resources,
      killGracePeriodMs: 30_000,
      labels: { owner: 'zeus', 'team.name': 'a', [TASK_LABEL_APP_ID]: '/team/web', [TASK_LABEL_APP_VERSION]: web.version, [TASK_LABEL_HOST_PORTS]: '31000,31001' },
      healthCheck: { type: 'HTTP', http: { port: 31001, path: '/health' }, gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3, delaySeconds: 15 },
    });
    expect(spec).not.toHaveProperty('container');
    expect(spec.command).toEqual({
      value: 'python -m http.server $PORT0',
      shell: true,
      user: 'nobody',
      env: {
        MARATHON_APP_ID: '/team/web',
        MARATHON_APP_VERSION: web.version,
        MARATHON_APP_RESOURCE_CPUS: '0.5',
        MARATHON_APP_RESOURCE_MEM: '64',
        MARATHON_APP_RESOURCE_DISK: '0',
        MARATHON_APP_RESOURCE_GPUS: '0',
        MARATHON_APP_LABELS: 'OWNER TEAM_NAME',
        MARATHON_APP_LABEL_OWNER: 'zeus',
        MARATHON_APP_LABEL_TEAM_NAME: 'a',
        MESOS_TASK_ID: `team_web.${UUID}`,
        PORT0: 'overridden-by-app',
        PORT1: '31001',
        PORT: '31000',
        PORTS: '31000,31001',
        PORT_HTTP: '31000',
        PORT_10001: '31000',
        PORT_ADMIN_API: '31001',
        MODE: 'prod',
      },
    });
  });

  it('runs a bridged docker app with explicit host ports', () => {
    const nginx = app({
      id: 'nginx',
      cmd: undefined,
      networks: [{ mode: 'container/bridge' }],
      container: {
        type: 'DOCKER',
        docker: { image: 'nginx:1.27', forcePullImage: true, parameters: [{ key: 'ulimit', value: 'nofile=4096' }] },
        portMappings: [{ containerPort: 80, hostPort: 0, protocol: 'tcp,udp' }, { containerPort: 0, hostPort: 31009 }],
        volumes: [{ containerPath: '/usr/share/nginx/html', hostPath: '/srv/www', mode: 'RO' }],
      },
      healthChecks: [{ command: { value: 'curl -f localhost' } }],
    });
    const match = matchOffer(nginx, offer(), []) as OfferMatch;
    const spec = buildTaskSpec({ app: nginx, offer: offer(), match });
    expect(() => taskSpecSchema.parse(spec)).not.toThrow();
    expect(spec.taskId).toMatch(/^nginx:[0-9a-f-]{36}$/);
    expect(spec.executor).toBe('docker');
    expect(spec.command).toMatchObject({ shell: false });
    expect(spec.command).not.toHaveProperty('value');
    expect(spec.command?.env).toMatchObject({ MARATHON_APP_DOCKER_IMAGE: 'nginx:1.27', PORT0: '31000', PORT1: '31009', PORT_80: '31000' });
    expect(spec.container).toEqual({
      type: 'DOCKER',
      docker: {
        image: 'nginx:1.27',
        forcePullImage: true,
        network: 'bridge',
        privileged: false,
        parameters: [{ key: 'ulimit', value: 'nofile=4096' }],
        portMappings: [
          { containerPort: 80, hostPort: 31000, protocol: 'tcp' },
          { containerPort: 80, hostPort: 31000, protocol: 'udp' },
          { containerPort: 31009, hostPort: 31009, protocol: 'tcp' },
        ],
      },
      volumes: [{ hostPath: '/srv/www', containerPath: '/usr/share/nginx/html', mode: 'RO' }],
    });
    expect(spec.healthCheck).toEqual({ type: 'COMMAND', command: { value: 'curl -f localhost' }, gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3, delaySeconds: 15 });
    expect(() => healthCheckSchema.parse(spec.healthCheck)).not.toThrow();
  });

  it('passes args as an argv: the whole argv for the command executor, CMD for a container', () => {
    const plain = app({ id: 'argv', cmd: undefined, args: ['/bin/sleep', '100'] });
    const spec = buildTaskSpec({ app: plain, offer: offer(), match: matchOffer(plain, offer(), []) as OfferMatch });
    expect(spec.command).toMatchObject({ shell: false, value: '/bin/sleep', arguments: ['/bin/sleep', '100'] });
    const docker = app({ id: 'dargv', cmd: undefined, args: ['--port', '80'], container: { docker: { image: 'srv' } } });
    const dspec = buildTaskSpec({ app: docker, offer: offer(), match: matchOffer(docker, offer(), []) as OfferMatch });
    expect(dspec.command).toMatchObject({ shell: false, arguments: ['--port', '80'] });
    expect(dspec.command).not.toHaveProperty('value');
    expect(dspec.container).toMatchObject({ docker: { network: 'host' } });
    expect((dspec.container as { docker: object }).docker).not.toHaveProperty('portMappings');
  });

  it('keeps a staged task record for the plugin', () => {
    const web = app({ id: 'web' });
    const match = matchOffer(web, offer(), []) as OfferMatch;
    const spec = buildTaskSpec({ app: web, offer: offer(), match });
    expect(stagedAppTask(spec, web, offer({ attributes: { rack: 'r1' } }), match.hostPorts, T0)).toEqual({
      taskId: spec.taskId,
      appId: '/web',
      agentId: 'agent-1',
      host: 'host-1',
      attributes: { rack: 'r1' },
      hostPorts: [31000],
      version: web.version,
      state: 'STAGING',
      stagedAt: T0,
    });
  });
});
