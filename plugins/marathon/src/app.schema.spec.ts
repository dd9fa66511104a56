import { parseApp } from './app.schema';
import { MalformedJsonError, MarathonValidationError, parseJsonBody, type MarathonErrorJson } from './marathon-validation.error';
import { PATH_SEGMENT_ERROR } from './path-id';

function errorOf(body: unknown, options = {}): MarathonErrorJson {
  try {
    parseApp(body, options);
  } catch (err) {
    expect(err).toBeInstanceOf(MarathonValidationError);
    const e = err as MarathonValidationError;
    expect(e.httpStatus).toBe(422);
    expect(e.code).toBe('INPUT');
    return e.toMarathonJson();
  }
  throw new Error('expected a validation error');
}

function errorsAt(body: unknown, path: string): string[] {
  return errorOf(body).details?.find((d) => d.path === path)?.errors ?? [];
}

describe('parseApp', () => {
  it("applies Marathon's defaults to a minimal app", () => {
    expect(parseApp({ id: 'web', cmd: 'python -m http.server $PORT0' })).toEqual({
      id: '/web',
      cmd: 'python -m http.server $PORT0',
      instances: 1,
      cpus: 1,
      mem: 128,
      disk: 0,
      gpus: 0,
      env: {},
      labels: {},
      networks: [{ mode: 'host' }],
      portDefinitions: [{ port: 0, protocol: 'tcp', name: 'default' }],
      requirePorts: false,
      constraints: [],
      healthChecks: [],
      readinessChecks: [],
      upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
      backoffSeconds: 1,
      backoffFactor: 1.15,
      maxLaunchDelaySeconds: 300,
      killSelection: 'YOUNGEST_FIRST',
      unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
      dependencies: [],
      role: '*',
    });
  });

  it('reports every problem at once, with Marathon paths and messages', () => {
    const error = errorOf({
      id: 'Bad_Id',
      cpus: -1,
      mem: 'lots',
      instances: 1.5,
      constraints: [['hostname', 'SOMETIMES'], ['rack', 'GROUP_BY', 'x'], ['a']],
      container: { type: 'DOCKER', docker: {} },
      upgradeStrategy: { minimumHealthCapacity: 1.2 },
      healthChecks: [{ protocol: 'HTTP', portIndex: 3 }],
    });
    expect(error.message).toBe('Object is not valid');
    expect(error.details).toEqual([
      { path: '/instances', errors: ['error.expected.int'] },
      { path: '/cpus', errors: ['got -1, expected 0 or more'] },
      { path: '/mem', errors: ['error.expected.jsnumber'] },
      { path: '/container/docker/image', errors: ['error.path.missing'] },
      { path: '/upgradeStrategy/minimumHealthCapacity', errors: ['got 1.2, expected between 0.0 and 1.0'] },
      { path: '/id', errors: [PATH_SEGMENT_ERROR] },
      { path: '/constraints(0)', errors: ['Constraint operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, MAX_PER, UNLIKE or IS'] },
      { path: '/constraints(1)', errors: ['Value was specified but is not a number'] },
      { path: '/constraints(2)', errors: ['Each constraint must have either 2 or 3 fields'] },
      { path: '/healthChecks(0)', errors: ['Health check port indices must address an element of the ports array or container port mappings.'] },
    ]);
  });

  it('requires an id and one of cmd, args or a container', () => {
    expect(errorOf({})).toEqual({
      message: 'Object is not valid',
      details: [
        { path: '/id', errors: ['error.path.missing'] },
        { path: '/', errors: ["AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."] },
      ],
    });
    expect(errorsAt({ id: 'a', cmd: 'x', args: ['y'] }, '/')).toEqual(["AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."]);
    expect(parseApp({ id: 'a', args: ['sleep', '1'] }).args).toEqual(['sleep', '1']);
    expect(parseApp({ id: 'a', container: { docker: { image: 'nginx' } } }).container?.docker.image).toBe('nginx');
  });

  it('refuses a body that is not an object', () => {
    expect(errorOf([1, 2])).toEqual({ message: 'Object is not valid', details: [{ path: '/', errors: ['error.expected.jsobject'] }] });
  });

  it('resolves relative ids and dependencies against the group', () => {
    const spec = parseApp({ id: 'web', cmd: 'x', dependencies: ['../db', '/cache', 'api'] }, { baseGroup: '/shop/frontend' });
    expect(spec.id).toBe('/shop/frontend/web');
    expect(spec.dependencies).toEqual(['/shop/db', '/cache', '/shop/frontend/api']);
    expect(parseApp({ id: '/team/web/', cmd: 'x' }).id).toBe('/team/web');
    expect(errorsAt({ id: '/', cmd: 'x' }, '/id')).toEqual(['must not be root']);
    expect(errorsAt({ id: '../../x', cmd: 'x' }, '/id')).toEqual(["'../../x' climbs above the root group"]);
    expect(errorsAt({ id: '-web', cmd: 'x' }, '/id')).toEqual([PATH_SEGMENT_ERROR]);
    expect(errorsAt({ id: 'a'.repeat(161), cmd: 'x' }, '/id')).toEqual(['must be at most 160 characters long (Pando derives task ids from it)']);
    expect(parseApp({ id: 'my.app-2', cmd: 'x' }).id).toBe('/my.app-2');
  });

  it('treats null as absent and ignores read-only and unknown fields', () => {
    const spec = parseApp({
      id: 'a',
      cmd: 'x',
      container: null,
      user: null,
      version: '2015-01-01T00:00:00.000Z',
      versionInfo: { lastScalingAt: 'x' },
      tasksRunning: 3,
      deployments: [{ id: 'd' }],
      somethingNew: true,
    });
    expect(spec).not.toHaveProperty('container');
    expect(spec).not.toHaveProperty('user');
    expect(spec).not.toHaveProperty('somethingNew');
  });

  it('translates the deprecated docker network and port mappings', () => {
    const spec = parseApp({
      id: 'registry',
      container: {
        type: 'DOCKER',
        docker: { image: 'registry:2', network: 'BRIDGE', portMappings: [{ containerPort: 5000, servicePort: 5000, protocol: 'tcp' }] },
        volumes: [{ containerPath: '/var/lib/registry', hostPath: '/srv/registry', mode: 'RW' }],
      },
    });
    expect(spec.networks).toEqual([{ mode: 'container/bridge' }]);
    expect(spec.portDefinitions).toEqual([]);
    expect(spec.container).toEqual({
      type: 'DOCKER',
      docker: { image: 'registry:2', forcePullImage: false, privileged: false, parameters: [] },
      portMappings: [{ containerPort: 5000, hostPort: 0, servicePort: 5000, protocol: 'tcp' }],
      volumes: [{ containerPath: '/var/lib/registry', hostPath: '/srv/registry', mode: 'RW' }],
    });
  });

  it('gives a bridged container one default port mapping and drops host-mode port mappings', () => {
    const bridged = parseApp({ id: 'a', networks: [{ mode: 'container/bridge' }], container: { docker: { image: 'nginx' } } });
    expect(bridged.container?.portMappings).toEqual([{ containerPort: 0, hostPort: 0, servicePort: 0, protocol: 'tcp', name: 'default' }]);
    const host = parseApp({ id: 'a', container: { docker: { image: 'nginx' }, portMappings: [{ containerPort: 80 }] } });
    expect(host.container).not.toHaveProperty('portMappings');
    expect(host.portDefinitions).toEqual([{ port: 0, protocol: 'tcp', name: 'default' }]);
  });

  it('reads deprecated ports as port definitions and checks them', () => {
    expect(parseApp({ id: 'a', cmd: 'x', ports: [0, 8080] }).portDefinitions).toEqual([
      { port: 0, protocol: 'tcp' },
      { port: 8080, protocol: 'tcp' },
    ]);
    expect(errorsAt({ id: 'a', cmd: 'x', ports: [1], portDefinitions: [{ port: 2 }] }, '/')).toEqual(['cannot specify both ports and port definitions']);
    expect(errorsAt({ id: 'a', cmd: 'x', portDefinitions: [{ port: 80, name: 'http' }, { port: 80, name: 'http' }] }, '/portDefinitions')).toEqual([
      'Port names must be unique.',
      'Ports must be unique.',
    ]);
  });

  it("fills health check defaults and accepts Marathon's protocol names", () => {
    const spec = parseApp({
      id: 'a',
      cmd: 'x',
      portDefinitions: [{ port: 0 }, { port: 0 }],
      healthChecks: [{ protocol: 'MESOS_HTTP', portIndex: 1 }],
    });
    expect(spec.healthChecks).toEqual([
      { protocol: 'MESOS_HTTP', path: '/', portIndex: 1, gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3, delaySeconds: 15, ipProtocol: 'IPv4' },
    ]);
    for (const protocol of ['HTTP', 'TCP', 'MESOS_TCP']) expect(parseApp({ id: 'a', cmd: 'x', healthChecks: [{ protocol }] }).healthChecks[0]?.portIndex).toBe(0);
    const command = parseApp({ id: 'a', cmd: 'x', healthChecks: [{ command: { value: 'curl -f localhost:$PORT0' } }] }).healthChecks[0];
    expect(command).toMatchObject({ protocol: 'COMMAND', command: { value: 'curl -f localhost:$PORT0' } });
    expect(command).not.toHaveProperty('portIndex');
    expect(errorsAt({ id: 'a', cmd: 'x', healthChecks: [{ protocol: 'COMMAND' }] }, '/healthChecks(0)/command')).toEqual(['error.path.missing']);
    expect(errorsAt({ id: 'a', cmd: 'x', healthChecks: [{ protocol: 'HTTPS' }] }, '/healthChecks(0)/protocol')).toEqual([
      'HTTPS health checks are not supported by Pando (use HTTP, TCP or COMMAND)',
    ]);
    expect(errorsAt({ id: 'a', cmd: 'x', healthChecks: [{ protocol: 'TCP' }, { protocol: 'HTTP' }] }, '/healthChecks')).toEqual(['Pando runs at most one health check per task']);
    expect(errorsAt({ id: 'a', cmd: 'x', healthChecks: [{ protocol: 'GOPHER' }] }, '/healthChecks(0)/protocol')).toEqual([
      'got "GOPHER", expected one of: [HTTP, HTTPS, TCP, COMMAND, MESOS_HTTP, MESOS_HTTPS, MESOS_TCP]',
    ]);
  });

  it('checks readiness checks against the port names', () => {
    const ok = parseApp({ id: 'a', cmd: 'x', portDefinitions: [{ port: 0, name: 'http-api' }], readinessChecks: [{ path: '/ready' }] });
    expect(ok.readinessChecks).toEqual([
      { name: 'readinessCheck', protocol: 'HTTP', path: '/ready', portName: 'http-api', intervalSeconds: 30, timeoutSeconds: 10, httpStatusCodesForReady: [200], preserveLastResponse: false },
    ]);
    const error = errorOf({ id: 'a', cmd: 'x', readinessChecks: [{ portName: 'web', intervalSeconds: 5, timeoutSeconds: 5 }] });
    expect(error.details).toEqual([
      { path: '/readinessChecks(0)/portName', errors: ['No port definition reference for portName web'] },
      { path: '/readinessChecks(0)/timeoutSeconds', errors: ['got 5, expected less than 5'] },
    ]);
  });

  it('accepts every constraint operator with its value rules', () => {
    const constraints = [['hostname', 'UNIQUE'], ['rack', 'CLUSTER'], ['rack', 'GROUP_BY', '3'], ['hostname', 'LIKE', 'web-.*'], ['zone', 'UNLIKE', 'eu-.*'], ['rack', 'MAX_PER', '2'], ['gpu', 'IS', 'true']];
    expect(parseApp({ id: 'a', cmd: 'x', constraints }).constraints).toEqual(constraints);
    const error = errorOf({ id: 'a', cmd: 'x', constraints: [['hostname', 'UNIQUE', 'x'], ['hostname', 'LIKE'], ['h', 'LIKE', '(('], ['h', 'MAX_PER'], ['h', 'IS'], ['', 'UNIQUE']] });
    expect(error.details).toEqual([
      { path: '/constraints(0)', errors: ['Value specified but not used'] },
      { path: '/constraints(1)', errors: ['A regular expression value must be provided'] },
      { path: '/constraints(2)', errors: ["'((' is not a valid regular expression"] },
      { path: '/constraints(3)', errors: ['Value was not specified or is not a number'] },
      { path: '/constraints(4)', errors: ['Missing value'] },
      { path: '/constraints(5)', errors: ['Missing field and operator'] },
    ]);
  });

  it('validates the remaining fields with their own paths', () => {
    const error = errorOf({
      id: 'a',
      cmd: 'x',
      backoffFactor: 0.5,
      killSelection: 'RANDOM',
      taskKillGracePeriodSeconds: 7200,
      unreachableStrategy: { inactiveAfterSeconds: 600, expungeAfterSeconds: 60 },
      env: { GOOD: 'yes', BAD: 1, SECRET: { secret: 'db' } },
      role: 'bad role',
      acceptedResourceRoles: [],
      container: { docker: { image: 'x' }, volumes: [{ containerPath: '/data', mode: 'RW', persistent: { size: 10 } }, { containerPath: '/b', mode: 'XX' }] },
    });
    expect(error.details).toEqual([
      { path: '/container/volumes(1)/mode', errors: ['got "XX", expected one of: [RO, RW]'] },
      { path: '/backoffFactor', errors: ['got 0.5, expected 1 or more'] },
      { path: '/killSelection', errors: ['got "RANDOM", expected one of: [YOUNGEST_FIRST, OLDEST_FIRST]'] },
      { path: '/taskKillGracePeriodSeconds', errors: ['got 7200, expected 3600 or less'] },
      { path: '/acceptedResourceRoles', errors: ['must have at least 1 items'] },
      { path: '/role', errors: ["'bad role' is not a valid role"] },
      { path: '/unreachableStrategy/inactiveAfterSeconds', errors: ['got 600, expected 60 or less (expungeAfterSeconds)'] },
      { path: '/env/BAD', errors: ['error.expected.jsstring'] },
      { path: '/env/SECRET', errors: ['secret references are not supported by Pando'] },
    ]);
  });

  it("says which Marathon features Pando does not support", () => {
    const error = errorOf({
      id: 'a',
      cmd: 'x',
      executor: '/opt/my-executor',
      fetch: [{ uri: 'http://x/y.tgz' }],
      uris: ['http://x/z.tgz'],
      secrets: { s: { source: 'x' } },
      residency: {},
      ipAddress: { networkName: 'n' },
      networks: [{ mode: 'container', name: 'overlay' }],
    });
    expect(error.details?.map((d) => d.path)).toEqual(['/networks(0)/mode', '/executor', '/fetch', '/uris', '/secrets', '/residency', '/ipAddress']);
    expect(parseApp({ id: 'a', cmd: 'x', executor: '', fetch: [], uris: [], secrets: {} }).id).toBe('/a');
    expect(errorsAt({ id: 'a', cmd: 'x', networks: [{ mode: 'container/bridge' }] }, '/container')).toEqual([
      'a DOCKER container is required for container/bridge networking (Pando runs bridged tasks with Docker)',
    ]);
  });

  it('accepts unreachableStrategy "disabled" and fills an object with defaults', () => {
    expect(parseApp({ id: 'a', cmd: 'x', unreachableStrategy: 'disabled' }).unreachableStrategy).toBe('disabled');
    expect(parseApp({ id: 'a', cmd: 'x', unreachableStrategy: {} }).unreachableStrategy).toEqual({ inactiveAfterSeconds: 300, expungeAfterSeconds: 600 });
  });

  it('uses the framework role unless the app names one', () => {
    expect(parseApp({ id: 'a', cmd: 'x' }, { defaultRole: 'marathon' }).role).toBe('marathon');
    expect(parseApp({ id: 'a', cmd: 'x', role: 'web' }, { defaultRole: 'marathon' }).role).toBe('web');
  });
});

describe('parseJsonBody', () => {
  it('turns a syntax error into a 400', () => {
    expect(parseJsonBody('{"id": "a"}')).toEqual({ id: 'a' });
    let error: unknown;
    try {
      parseJsonBody('{"id": ');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MalformedJsonError);
    expect((error as MalformedJsonError).httpStatus).toBe(400);
    expect((error as MalformedJsonError).toMarathonJson()).toMatchObject({ message: 'Invalid JSON', details: [{ path: '/' }] });
  });
});
