import { countTasks, isHealthyAndReady, shouldKillUnhealthy, unreachableAction } from './app-task';
import { app, T0, task } from './testing/marathon.fixtures';

describe('task health', () => {
  const web = app({ id: 'web', healthChecks: [{ protocol: 'TCP', gracePeriodSeconds: 60, maxConsecutiveFailures: 3 }], readinessChecks: [{ portName: 'default' }] });

  it('kills after maxConsecutiveFailures, but not in the grace period of a task never healthy', () => {
    const failing = task(web, { startedAt: T0, health: { alive: false, consecutiveFailures: 3 } });
    expect(shouldKillUnhealthy(failing, web, T0 + 30_000)).toBe(false);
    expect(shouldKillUnhealthy(failing, web, T0 + 61_000)).toBe(true);
    expect(shouldKillUnhealthy({ ...failing, health: { alive: false, consecutiveFailures: 3, firstSuccess: T0 + 1 } }, web, T0 + 30_000)).toBe(true);
    expect(shouldKillUnhealthy({ ...failing, health: { alive: false, consecutiveFailures: 2 } }, web, T0 + 61_000)).toBe(false);
    const never = app({ id: 'never', healthChecks: [{ protocol: 'TCP', maxConsecutiveFailures: 0 }] });
    expect(shouldKillUnhealthy(task(never, { health: { alive: false, consecutiveFailures: 99 } }), never, T0 + 1e9)).toBe(false);
  });

  it('counts like Marathon and needs readiness for a deployment', () => {
    const up = task(web, { health: { alive: true, consecutiveFailures: 0 } });
    expect(isHealthyAndReady(up, web)).toBe(false);
    expect(isHealthyAndReady({ ...up, ready: true }, web)).toBe(true);
    expect(countTasks([up, task(web, { state: 'STARTING' }), task(web, { health: undefined })], web)).toEqual({ tasksStaged: 1, tasksRunning: 2, tasksHealthy: 1, tasksUnhealthy: 0 });
  });
});

describe('unreachableAction', () => {
  it('waits, replaces, then expunges', () => {
    const web = app({ id: 'web', unreachableStrategy: { inactiveAfterSeconds: 60, expungeAfterSeconds: 600 } });
    const lost = task(web, { state: 'UNREACHABLE', unreachableSince: T0 });
    expect(unreachableAction(lost, web, T0 + 1000)).toBe('wait');
    expect(unreachableAction(lost, web, T0 + 60_000)).toBe('replace');
    expect(unreachableAction(lost, web, T0 + 600_000)).toBe('expunge');
    expect(unreachableAction(lost, app({ id: 'd', unreachableStrategy: 'disabled' }), T0 + 1e9)).toBe('wait');
    expect(unreachableAction(lost, app({ id: 'z' }), T0)).toBe('expunge');
    expect(unreachableAction(task(web), web, T0)).toBe('none');
  });
});
