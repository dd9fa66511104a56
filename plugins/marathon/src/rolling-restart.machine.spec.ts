import fc from 'fast-check';
import type { UpgradeStrategy } from './app.types';
import { restartApp } from './app-update.merge';
import {
  decideRestart,
  hasStalled,
  nextRestartStep,
  restartCounts,
  restartLimits,
  trackProgress,
  type RestartCounts,
} from './rolling-restart.machine';
import { app, T0, task } from './testing/marathon.fixtures';

interface Outcome {
  done: boolean;
  stuck: boolean;
  violations: string[];
}

/**
 * Runs a restart to the end: the machine's kills and starts are applied at once, then one
 * event happens (a new task becomes healthy and ready, or a killed task goes away), chosen by
 * `choices`. Checks the capacity and health invariants after every decision.
 */
function simulate(instances: number, strategy: UpgradeStrategy, start: RestartCounts, choices: readonly number[]): Outcome {
  const { minHealthy, maxCapacity } = restartLimits(instances, strategy);
  const total = (c: RestartCounts) => c.oldHealthy + c.oldOther + c.oldKilling + c.newReady + c.newOther;
  const capacity = Math.max(maxCapacity, total(start));
  const floor = Math.min(minHealthy, start.oldHealthy) - (minHealthy === maxCapacity ? 1 : 0);
  const violations: string[] = [];
  let c = { ...start };
  for (let step = 0; step < 2000; step++) {
    const d = decideRestart(instances, strategy, c);
    if (d.done) return { done: true, stuck: false, violations };
    c = {
      oldHealthy: c.oldHealthy - d.killOldHealthy,
      oldOther: c.oldOther - d.killOldUnhealthy,
      oldKilling: c.oldKilling + d.killOldHealthy + d.killOldUnhealthy,
      newReady: c.newReady,
      newOther: c.newOther + d.startNew,
    };
    if (total(c) > capacity) violations.push(`${total(c)} tasks > capacity ${capacity}`);
    if (c.oldHealthy + c.newReady < floor) violations.push(`${c.oldHealthy + c.newReady} healthy < ${floor}`);
    const again = decideRestart(instances, strategy, c);
    if (again.startNew + again.killOldHealthy + again.killOldUnhealthy > 0) violations.push('decision is not a fixpoint');
    const events = [...(c.newOther > 0 ? ['ready'] : []), ...(c.oldKilling > 0 ? ['gone'] : [])];
    if (events.length === 0) return { done: false, stuck: true, violations };
    const event = events[choices[step % choices.length]! % events.length];
    if (event === 'ready') c = { ...c, newOther: c.newOther - 1, newReady: c.newReady + 1 };
    else c = { ...c, oldKilling: c.oldKilling - 1 };
  }
  return { done: false, stuck: false, violations };
}

const fraction = fc.integer({ min: 0, max: 20 }).map((n) => n / 20);
const strategyArb = fc.record({ minimumHealthCapacity: fraction, maximumOverCapacity: fraction });
const choicesArb = fc.array(fc.nat(7), { minLength: 1, maxLength: 50 });

describe('rolling restart (properties)', () => {
  it('keeps ceil(min × n) healthy and at most floor(n × (1 + over)) tasks, and finishes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), strategyArb, choicesArb, (n, strategy, choices) => {
        const outcome = simulate(n, strategy, { oldHealthy: n, oldOther: 0, oldKilling: 0, newReady: 0, newOther: 0 }, choices);
        expect(outcome.violations).toEqual([]);
        expect(outcome).toMatchObject({ done: true, stuck: false });
      }),
      { numRuns: 500 },
    );
  });

  it('also finishes from any mix of old tasks (scaling and unhealthy tasks during the restart)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), strategyArb, fc.nat(40), fc.nat(5), choicesArb, (n, strategy, oldHealthy, oldOther, choices) => {
        const outcome = simulate(n, strategy, { oldHealthy, oldOther, oldKilling: 0, newReady: 0, newOther: 0 }, choices);
        expect(outcome.violations).toEqual([]);
        expect(outcome.done).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('never starts a task beyond the capacity limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), strategyArb, fc.nat(40), fc.nat(5), fc.nat(5), fc.nat(20), fc.nat(5), (n, strategy, oh, oo, ok, nr, no) => {
        const counts = { oldHealthy: oh, oldOther: oo, oldKilling: ok, newReady: nr, newOther: no };
        const d = decideRestart(n, strategy, counts);
        const total = oh + oo + ok + nr + no;
        expect(d.startNew === 0 || total + d.startNew <= d.maxCapacity).toBe(true);
        expect(d.killOldHealthy).toBeLessThanOrEqual(oh);
      }),
    );
  });
});

describe('decideRestart', () => {
  it("with Marathon's defaults starts all new tasks, then kills one old per ready new one", () => {
    const strategy = { minimumHealthCapacity: 1, maximumOverCapacity: 1 };
    expect(decideRestart(3, strategy, { oldHealthy: 3, oldOther: 0, oldKilling: 0, newReady: 0, newOther: 0 })).toMatchObject({ startNew: 3, killOldHealthy: 0, minHealthy: 3, maxCapacity: 6 });
    expect(decideRestart(3, strategy, { oldHealthy: 3, oldOther: 0, oldKilling: 0, newReady: 1, newOther: 2 })).toMatchObject({ startNew: 0, killOldHealthy: 1 });
    expect(decideRestart(3, strategy, { oldHealthy: 0, oldOther: 0, oldKilling: 0, newReady: 3, newOther: 0 }).done).toBe(true);
  });

  it('kills down to the minimum first when there is no room above the instance count', () => {
    const d = decideRestart(4, { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 }, { oldHealthy: 4, oldOther: 0, oldKilling: 0, newReady: 0, newOther: 0 });
    expect(d).toMatchObject({ minHealthy: 2, maxCapacity: 4, killOldHealthy: 2, startNew: 0 });
  });

  it('goes one below the minimum when minimum and capacity leave no room', () => {
    const d = decideRestart(2, { minimumHealthCapacity: 1, maximumOverCapacity: 0 }, { oldHealthy: 2, oldOther: 0, oldKilling: 0, newReady: 0, newOther: 0 });
    expect(d).toMatchObject({ killOldHealthy: 1, startNew: 0, belowMinimum: true });
  });

  it('does not let float fractions round the limits the wrong way', () => {
    expect(restartLimits(10, { minimumHealthCapacity: 0.7, maximumOverCapacity: 0.1 })).toEqual({ minHealthy: 7, maxCapacity: 11 });
    expect(restartLimits(3, { minimumHealthCapacity: 0.9, maximumOverCapacity: 0.2 })).toEqual({ minHealthy: 3, maxCapacity: 3 });
  });
});

describe('nextRestartStep', () => {
  it('classifies tasks against the target config and kills unhealthy old ones first', () => {
    const v1 = app({ id: 'web', instances: 3, upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 }, healthChecks: [{ protocol: 'TCP' }] });
    const v2 = restartApp(v1, T0 + 1000);
    const healthy = (startedAt: number) => task(v1, { startedAt, health: { alive: true, consecutiveFailures: 0 } });
    const oldYoung = healthy(T0 + 500);
    const oldOld = healthy(T0 + 100);
    const oldSick = task(v1, { health: { alive: false, consecutiveFailures: 4 } });
    const tasks = [oldOld, oldYoung, oldSick];
    expect(restartCounts(v2, tasks)).toEqual({ oldHealthy: 2, oldOther: 1, oldKilling: 0, newReady: 0, newOther: 0 });
    const step = nextRestartStep(v2, tasks);
    expect(step.kill.map((t) => t.taskId)).toEqual([oldSick.taskId]);
    expect(step.decision).toMatchObject({ minHealthy: 2, maxCapacity: 3, killOldHealthy: 0, startNew: 0 });
    const afterSickGone = nextRestartStep(v2, [oldOld, oldYoung, { ...oldSick, state: 'KILLED' }]);
    expect(afterSickGone.start).toBe(1);
    const withNew = [oldOld, oldYoung, task(v2, { health: { alive: true, consecutiveFailures: 0 } })];
    expect(nextRestartStep(v2, withNew).kill.map((t) => t.taskId)).toEqual([oldYoung.taskId]);
  });
});

describe('deployment progress', () => {
  it('stalls when no new task gets ready and no old task goes for the deadline', () => {
    const counts = { oldHealthy: 2, oldOther: 0, oldKilling: 0, newReady: 0, newOther: 2 };
    let progress = trackProgress(undefined, counts, T0);
    progress = trackProgress(progress, counts, T0 + 60_000);
    expect(hasStalled(progress, T0 + 60_000, 120_000)).toBe(false);
    expect(hasStalled(progress, T0 + 120_000, 120_000)).toBe(true);
    progress = trackProgress(progress, { ...counts, newReady: 1, newOther: 1 }, T0 + 130_000);
    expect(progress.lastProgressAt).toBe(T0 + 130_000);
    expect(hasStalled(progress, T0 + 200_000, 120_000)).toBe(false);
  });
});
