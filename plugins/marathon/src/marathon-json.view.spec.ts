import { restartApp } from './app-update.merge';
import { planAppDeployment } from './deployment.planner';
import { renderApp, renderDeployment, renderDeploymentResult, renderTask, renderTaskList, resolveAppEmbed } from './marathon-json.view';
import { app, T0, task } from './testing/marathon.fixtures';

/** Every key Marathon's App type documents (app.raml) plus AppInfo's read-only ones. */
const MARATHON_APP_KEYS = new Set([
  'id', 'acceptedResourceRoles', 'args', 'backoffFactor', 'backoffSeconds', 'cmd', 'constraints', 'container', 'cpus', 'dependencies',
  'disk', 'env', 'executor', 'fetch', 'healthChecks', 'instances', 'labels', 'maxLaunchDelaySeconds', 'mem', 'gpus', 'ipAddress',
  'networks', 'ports', 'portDefinitions', 'readinessChecks', 'residency', 'requirePorts', 'secrets', 'storeUrls',
  'taskKillGracePeriodSeconds', 'upgradeStrategy', 'uris', 'user', 'version', 'versionInfo', 'killSelection', 'unreachableStrategy', 'role',
  'tasksStaged', 'tasksRunning', 'tasksHealthy', 'tasksUnhealthy', 'deployments', 'readinessCheckResults', 'tasks', 'lastTaskFailure',
]);

const keys = (o: object) => Object.keys(o).sort();

describe('renderApp', () => {
  const web = app({ id: '/team/web', instances: 2, healthChecks: [{ protocol: 'HTTP', path: '/health' }] });

  it('shows exactly the definition fields for a minimal app', () => {
    const json = renderApp(web, { tasks: [], deploymentIds: [] }, new Set());
    expect(keys(json)).toEqual(
      [
        'backoffFactor', 'backoffSeconds', 'cmd', 'cpus', 'disk', 'executor', 'gpus', 'healthChecks', 'id', 'instances', 'killSelection', 'labels',
        'maxLaunchDelaySeconds', 'mem', 'networks', 'portDefinitions', 'requirePorts', 'role', 'unreachableStrategy', 'upgradeStrategy', 'version', 'versionInfo',
      ].sort(),
    );
    expect(json).toMatchObject({
      id: '/team/web',
      executor: '',
      networks: [{ mode: 'host' }],
      portDefinitions: [{ port: 0, protocol: 'tcp', name: 'default' }],
      healthChecks: [{ protocol: 'HTTP', path: '/health', portIndex: 0, gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3, delaySeconds: 15, ipProtocol: 'IPv4' }],
      version: web.version,
      versionInfo: { lastScalingAt: web.version, lastConfigChangeAt: web.version },
    });
  });

  it('adds counts, deployments, tasks and the last failure when embedded', () => {
    const up = task(web, { health: { alive: true, consecutiveFailures: 0, firstSuccess: T0 + 5, lastSuccess: T0 + 9 } });
    const sick = task(web, { health: { alive: false, consecutiveFailures: 3, lastFailure: T0 + 8, lastFailureCause: '503' } });
    const staging = task(web, { state: 'STAGING', startedAt: undefined });
    const gone = task(web, { state: 'FAILED' });
    const status = {
      tasks: [up, sick, staging, gone],
      deploymentIds: ['d-1'],
      lastTaskFailure: { appId: web.id, taskId: gone.taskId, host: 'host-1', agentId: 'agent-1', state: 'FAILED' as const, message: 'exited with code 1', timestamp: T0 + 7, version: web.version },
    };
    const json = renderApp(web, status, resolveAppEmbed(undefined, 'single'));
    for (const key of Object.keys(json)) expect(MARATHON_APP_KEYS).toContain(key);
    expect(json).toMatchObject({ tasksStaged: 1, tasksRunning: 2, tasksHealthy: 1, tasksUnhealthy: 1, deployments: [{ id: 'd-1' }] });
    expect((json.tasks as unknown[]).length).toBe(3);
    expect(json.lastTaskFailure).toEqual({
      appId: '/team/web',
      host: 'host-1',
      message: 'exited with code 1',
      slaveId: 'agent-1',
      state: 'TASK_FAILED',
      taskId: gone.taskId.replaceAll(':', '.'),
      timestamp: '2024-05-01T10:00:00.007Z',
      version: web.version,
    });
  });

  it("resolves embeds the way Marathon's /v2/apps and /v2/apps/{id} do", () => {
    expect([...resolveAppEmbed(undefined, 'list')].sort()).toEqual(['counts', 'deployments']);
    expect([...resolveAppEmbed(['apps.tasks', 'apps.lastTaskFailure', 'apps.taskStats'], 'list')].sort()).toEqual(['counts', 'deployments', 'lastTaskFailure', 'tasks']);
    expect([...resolveAppEmbed('app.readiness', 'single')].sort()).toEqual(['counts', 'deployments', 'lastTaskFailure', 'readiness', 'tasks']);
    expect([...resolveAppEmbed('apps.failures', 'list')].sort()).toEqual(['counts', 'deployments', 'lastTaskFailure', 'tasks']);
  });
});

describe('renderTask', () => {
  it("uses exactly Marathon's task fields and spellings", () => {
    const web = app({ id: '/team/web', portDefinitions: [{ port: 10001 }] });
    const t = task(web, {
      taskId: 'team_web:0f8c4a1e-8a9b-4d33-9b0e-e11c5513990b',
      hostPorts: [31005],
      ipAddresses: ['10.0.0.5'],
      health: { alive: true, consecutiveFailures: 0, firstSuccess: T0 + 10, lastSuccess: T0 + 20 },
      stagedAt: T0,
      startedAt: T0 + 3,
    });
    expect(renderTask(t, web)).toEqual({
      appId: '/team/web',
      healthCheckResults: [
        { alive: true, consecutiveFailures: 0, firstSuccess: '2024-05-01T10:00:00.010Z', instanceId: 'team_web.marathon-0f8c4a1e-8a9b-4d33-9b0e-e11c5513990b', lastSuccess: '2024-05-01T10:00:00.020Z' },
      ],
      host: 'host-1',
      id: 'team_web.0f8c4a1e-8a9b-4d33-9b0e-e11c5513990b',
      ipAddresses: [{ ipAddress: '10.0.0.5', protocol: 'IPv4' }],
      ports: [31005],
      servicePorts: [10001],
      slaveId: 'agent-1',
      stagedAt: '2024-05-01T10:00:00.000Z',
      startedAt: '2024-05-01T10:00:00.003Z',
      state: 'TASK_RUNNING',
      version: web.version,
    });
  });

  it('leaves out startedAt until the task started, and lists only active tasks', () => {
    const web = app({ id: 'web' });
    const staging = task(web, { state: 'STAGING', startedAt: undefined, hostPorts: [] });
    expect(keys(renderTask(staging))).toEqual(['appId', 'healthCheckResults', 'host', 'id', 'ipAddresses', 'ports', 'servicePorts', 'slaveId', 'stagedAt', 'state', 'version']);
    const list = renderTaskList([staging, task(web, { state: 'KILLED' })], new Map([[web.id, web]]));
    expect((list.tasks as unknown[]).length).toBe(1);
  });
});

describe('renderDeployment', () => {
  it("shows Marathon's deployment JSON", () => {
    const web = app({ id: 'web' });
    const plan = planAppDeployment(undefined, web, [], { version: web.version, id: '97c136bf-5a28-4821-9d94-480d9fbb01c8' });
    expect(renderDeployment({ ...plan, currentStep: 2 })).toEqual({
      id: '97c136bf-5a28-4821-9d94-480d9fbb01c8',
      version: web.version,
      affectedApps: ['/web'],
      affectedPods: [],
      steps: [{ actions: [{ action: 'StartApplication', app: '/web' }] }, { actions: [{ action: 'ScaleApplication', app: '/web' }] }],
      currentActions: [{ action: 'ScaleApplication', app: '/web', readinessCheckResults: [] }],
      currentStep: 2,
      totalSteps: 2,
    });
    expect(renderDeploymentResult(plan)).toEqual({ version: web.version, deploymentId: plan.id });
    const restart = planAppDeployment(web, restartApp(web, T0 + 1), [], { version: web.version });
    expect(renderDeployment({ ...restart, currentStep: 1 }).currentActions).toEqual([{ action: 'RestartApplication', app: '/web', readinessCheckResults: [] }]);
  });
});
