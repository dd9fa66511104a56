import { applyAppUpdate, restartApp, scaleApp } from './app-update.merge';
import {
  dependencyLayers,
  findDependencyCycle,
  isScaleComplete,
  isStopComplete,
  nextScaleStep,
  planAppDeployment,
  planDeployment,
  planRollback,
  type DeploymentPlan,
} from './deployment.planner';
import { app, T0, task } from './testing/marathon.fixtures';

const V = '2024-05-01T11:00:00.000Z';
const actions = (plan: DeploymentPlan) => plan.steps.map((s) => s.actions.map((a) => `${a.action} ${a.app}`));

describe('planAppDeployment', () => {
  it('starts a new app at 0 then scales it up', () => {
    const web = app({ id: 'web', instances: 3 });
    const plan = planAppDeployment(undefined, web, [], { version: V, id: 'd-1' });
    expect(plan.id).toBe('d-1');
    expect(actions(plan)).toEqual([['StartApplication /web'], ['ScaleApplication /web']]);
    expect(plan.steps[1]!.actions[0]!.scaleTo).toBe(3);
    expect(plan.target['/web']).toBe(web);
    expect(plan.original).toEqual({});
  });

  it('stops a deleted app', () => {
    const web = app({ id: 'web' });
    expect(actions(planAppDeployment(web, undefined, [], { version: V }))).toEqual([['StopApplication /web']]);
  });

  it('restarts on a config change or an explicit restart', () => {
    const web = app({ id: 'web' });
    const changed = applyAppUpdate('/web', web, { mem: 512 }, { now: T0 + 1000 }).app;
    expect(actions(planAppDeployment(web, changed, [], { version: V }))).toEqual([['RestartApplication /web']]);
    expect(actions(planAppDeployment(web, restartApp(web, T0 + 1000), [], { version: V }))).toEqual([['RestartApplication /web']]);
  });

  it('scales down by killing per killSelection, and plans nothing for no change', () => {
    const web = app({ id: 'web', instances: 3 });
    const tasks = [task(web, { startedAt: T0 + 10 }), task(web, { startedAt: T0 + 30 }), task(web, { startedAt: T0 + 20 })];
    const plan = planAppDeployment(web, scaleApp(web, 1, T0 + 1000), tasks, { version: V });
    expect(actions(plan)).toEqual([['ScaleApplication /web']]);
    expect(plan.steps[0]!.actions[0]).toMatchObject({ scaleTo: 1, killTaskIds: [tasks[1]!.taskId, tasks[2]!.taskId] });
    const oldestFirst = applyAppUpdate('/web', web, { killSelection: 'OLDEST_FIRST' }, { now: T0 + 1 }).app;
    const scaled = scaleApp(oldestFirst, 2, T0 + 2000);
    expect(planAppDeployment(oldestFirst, scaled, tasks, { version: V }).steps[0]!.actions[0]!.killTaskIds).toEqual([tasks[0]!.taskId]);
    expect(planAppDeployment(web, web, tasks, { version: V }).steps).toEqual([]);
  });
});

describe('planDeployment', () => {
  it('orders steps by dependencies, apps and groups alike', () => {
    const db = app({ id: '/back/db' });
    const cache = app({ id: '/back/cache' });
    const api = app({ id: '/api', dependencies: ['/back'] });
    const web = app({ id: '/web', dependencies: ['/api'] });
    const plan = planDeployment({ original: [], target: [web, api, db, cache], version: V });
    expect(actions(plan)).toEqual([
      ['StartApplication /api', 'StartApplication /back/cache', 'StartApplication /back/db', 'StartApplication /web'],
      ['ScaleApplication /back/cache', 'ScaleApplication /back/db'],
      ['ScaleApplication /api'],
      ['ScaleApplication /web'],
    ]);
    expect(dependencyLayers([web, api, db, cache]).map((layer) => layer.map((a) => a.id))).toEqual([['/back/db', '/back/cache'], ['/api'], ['/web']]);
  });

  it('finds dependency cycles', () => {
    const a = app({ id: '/a', dependencies: ['/b'] });
    const b = app({ id: '/b', dependencies: ['/a'] });
    expect(findDependencyCycle([a, b])).toEqual(['/a', '/b', '/a']);
    expect(findDependencyCycle([app({ id: '/c', dependencies: ['/d'] }), app({ id: '/d' })])).toBeUndefined();
  });
});

describe('planRollback', () => {
  it('restores the original config of a restarted app as a new restart', () => {
    const v1 = app({ id: 'web', mem: 128 });
    const v2 = applyAppUpdate('/web', v1, { mem: 512 }, { now: T0 + 1000 }).app;
    const deployment = planAppDeployment(v1, v2, [], { version: v2.version });
    const rollback = planRollback(deployment, [v2], new Map(), T0 + 5000, 'rb-1');
    expect(actions(rollback)).toEqual([['RestartApplication /web']]);
    expect(rollback.target['/web']).toMatchObject({ mem: 128, version: '2024-05-01T10:00:05.000Z' });
    expect(rollback.target['/web']!.versionInfo.lastConfigChangeAt).toBe('2024-05-01T10:00:05.000Z');
  });

  it('scales back a scaled app without restarting it', () => {
    const v1 = app({ id: 'web', instances: 2 });
    const v2 = scaleApp(v1, 10, T0 + 1000);
    const rollback = planRollback(planAppDeployment(v1, v2, [], { version: v2.version }), [v2], new Map(), T0 + 5000);
    expect(actions(rollback)).toEqual([['ScaleApplication /web']]);
    expect(rollback.target['/web']).toMatchObject({ instances: 2, versionInfo: { lastConfigChangeAt: v1.version } });
  });

  it('stops an app the deployment created', () => {
    const web = app({ id: 'web' });
    expect(actions(planRollback(planAppDeployment(undefined, web, [], { version: V }), [web], new Map(), T0 + 5000))).toEqual([['StopApplication /web']]);
  });
});

describe('step progress', () => {
  it('knows when a scale or stop step is complete and what a scale still needs', () => {
    const web = app({ id: 'web', instances: 2, healthChecks: [{ protocol: 'TCP' }] });
    const up = task(web, { health: { alive: true, consecutiveFailures: 0 } });
    const starting = task(web, { state: 'STARTING' });
    expect(isScaleComplete(web, 2, [up, starting])).toBe(false);
    expect(isScaleComplete(web, 2, [up, { ...starting, state: 'RUNNING', health: { alive: true, consecutiveFailures: 0 } }])).toBe(true);
    expect(nextScaleStep(web, 3, [up, starting])).toEqual({ start: 1, kill: [] });
    expect(nextScaleStep(web, 1, [up, starting]).kill).toEqual([starting]);
    expect(isStopComplete([{ ...up, state: 'KILLED' }])).toBe(true);
    expect(isStopComplete([{ ...up, state: 'KILLING' }])).toBe(false);
  });
});
