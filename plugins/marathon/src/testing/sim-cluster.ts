import type { Offer, TaskSpec, TaskState } from '@pando/protocol';
import { statusOf } from './fake-driver';
import { offer as makeOffer, ports, scalar } from './marathon.fixtures';
import type { MarathonTestApp } from './marathon-test-app';

/**
 * A few simulated agents for unit tests of the scheduler: makes offers of their free resources
 * and plays the tasks the plugin launched (RUNNING, FAILED, KILLED on kill). Tracks only what
 * tests need; the real agent protocol is exercised by the end-to-end suites.
 */
export class SimCluster {
  private offerSeq = 0;
  readonly tasks = new Map<string, { spec: TaskSpec; state: TaskState }>();
  private seenAccepts = 0;
  private seenKills = 0;
  private seenShutdowns = 0;

  constructor(
    private readonly t: MarathonTestApp,
    readonly agents: Array<{ agentId: string; hostname: string; cpus?: number; mem?: number; attributes?: Record<string, string> }>,
  ) {}

  offers(): Offer[] {
    return this.agents.map((a) =>
      makeOffer({
        id: `offer-${++this.offerSeq}`,
        agentId: a.agentId,
        hostname: a.hostname,
        attributes: a.attributes ?? {},
        resources: [scalar('cpus', a.cpus ?? 8), scalar('mem', a.mem ?? 8192), scalar('disk', 10000), ports(31000, 32000)],
      }),
    );
  }

  /** One round: offers to the plugin, then every newly launched task reported as `state`. */
  async round(state: TaskState = 'RUNNING'): Promise<TaskSpec[]> {
    await this.t.offers(this.offers());
    const launched = this.collectLaunches();
    for (const spec of launched) this.report(spec.taskId, state);
    await this.t.settle();
    this.applyKills();
    this.t.converge();
    await this.t.settle();
    return launched;
  }

  /** Reports a state for a task (with health when given). */
  report(taskId: string, state: TaskState, extra: Parameters<typeof statusOf>[2] = {}): void {
    const task = this.tasks.get(taskId);
    if (!task) throw new Error(`unknown task ${taskId}`);
    task.state = state;
    this.t.update(statusOf(task.spec, state, extra));
  }

  /** Kills asked for by the plugin (KILL, or SHUTDOWN of an agent) end as KILLED; returns how many tasks. */
  applyKills(): number {
    const kills = this.t.driver.callsOf('KILL').slice(this.seenKills);
    this.seenKills += kills.length;
    const shutdowns = this.t.driver.callsOf('SHUTDOWN').slice(this.seenShutdowns);
    this.seenShutdowns += shutdowns.length;
    const ids = [
      ...kills.map((k) => k.taskId),
      ...shutdowns.flatMap((s) => [...this.tasks].filter(([, t]) => t.spec.agentId === s.agentId && t.state === 'RUNNING').map(([id]) => id)),
    ];
    for (const id of ids) {
      const task = this.tasks.get(id);
      if (task && task.state !== 'KILLED') this.report(id, 'KILLED');
    }
    return ids.length;
  }

  running(): string[] {
    return [...this.tasks].filter(([, t]) => t.state === 'RUNNING').map(([id]) => id);
  }

  private collectLaunches(): TaskSpec[] {
    const accepts = this.t.driver.callsOf('ACCEPT').slice(this.seenAccepts);
    this.seenAccepts += accepts.length;
    const specs = accepts.flatMap((a) => a.tasks);
    for (const spec of specs) this.tasks.set(spec.taskId, { spec, state: 'STAGING' });
    return specs;
  }
}
