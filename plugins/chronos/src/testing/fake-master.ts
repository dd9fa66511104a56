import type { Clock } from '@pando/common';
import { isTerminalState, type Offer, type TaskSpec, type TaskState, type TaskStatus } from '@pando/protocol';
import { Resources } from '@pando/resources';
import type { CallReply, OfferFilters, OfferRefs, ReconcileTask, Scheduler, SchedulerDriver } from '@pando/sdk';

/** What a launched task does: states after delays (ms from launch). Default: RUNNING at once, FINISHED after 100 ms. */
export type TaskScript = Array<{ afterMs: number; state: TaskState; exitCode?: number; message?: string }>;

export interface FakeAgent {
  id: string;
  hostname: string;
  attributes: Record<string, string>;
  executors: string[];
  free: Resources;
  /** Until when (ms) this agent is not offered to the framework (decline filter). */
  refusedUntilMs: number;
  offered?: string;
}

export interface FakeTask {
  spec: TaskSpec;
  agentId: string;
  state: TaskState;
  launchedAtMs: number;
  timers: unknown[];
}

const DEFAULT_SCRIPT: TaskScript = [
  { afterMs: 0, state: 'RUNNING' },
  { afterMs: 100, state: 'FINISHED', exitCode: 0 },
];

/**
 * A master and its agents in memory, on a FakeClock, for the plugin's unit tests: offers (one per
 * agent, its free resources), ACCEPT with duplicate-id and stale-offer refusals, decline filters,
 * suppress/revive, KILL, RECONCILE answers as the real master gives them, and tasks that follow
 * a script. Updates reach the connected scheduler one at a time, as the real driver delivers them.
 */
export class FakeMaster {
  readonly agents: FakeAgent[] = [];
  readonly tasks = new Map<string, FakeTask>();
  /** Every LAUNCH, in order: task id and time. */
  readonly launches: Array<{ taskId: string; atMs: number; agentId: string }> = [];
  readonly calls: string[] = [];
  script: (spec: TaskSpec) => TaskScript = () => DEFAULT_SCRIPT;
  /** Offers go out this long after resources come back or a revive. */
  offerDelayMs = 5;
  /** When false, calls fail as if no master answered. */
  available = true;
  private scheduler: Scheduler | undefined;
  private driver: SchedulerDriver | undefined;
  private offers = new Map<string, { offer: Offer; agent: FakeAgent }>();
  private suppressed = false;
  private offerSeq = 0;
  private delivery: Promise<unknown> = Promise.resolve();
  private pendingOffer = false;

  constructor(private readonly clock: Clock) {}

  addAgents(count: number, resources = 'cpus:8;mem:16384;disk:100000', executors = ['command', 'docker']): void {
    for (let i = 0; i < count; i++) {
      const n = this.agents.length;
      this.agents.push({ id: `agent-${n}`, hostname: `host-${n}`, attributes: { rack: `r${n % 2}` }, executors, free: Resources.parse(resources), refusedUntilMs: 0 });
    }
  }

  /** A driver for `scheduler`; the previous one (a host that went away) no longer hears anything. */
  connect(scheduler: Scheduler): SchedulerDriver {
    this.scheduler = scheduler;
    this.suppressed = false;
    for (const { agent } of this.offers.values()) agent.offered = undefined;
    this.offers.clear();
    const driver = this.makeDriver(scheduler);
    this.driver = driver;
    return driver;
  }

  /** Sends SUBSCRIBED (what the host's driver does after start), then offers. */
  async subscribe(reconnected = false): Promise<void> {
    const scheduler = this.scheduler!;
    // Outstanding offers do not survive a (re)subscription: the master rescinds them.
    for (const { agent } of this.offers.values()) agent.offered = undefined;
    this.offers.clear();
    await this.deliver(() => scheduler.subscribed?.(this.driver!, { frameworkId: 'chronos-fw', epoch: 1, reconnected }));
    this.offerSoon();
  }

  /** The host of `scheduler` went away (nothing changes if another one took over already). */
  disconnect(scheduler?: Scheduler): void {
    if (scheduler === undefined || this.scheduler === scheduler) this.scheduler = undefined;
  }

  /** Waits for every update delivered so far to be processed. */
  settled(): Promise<unknown> {
    return this.delivery;
  }

  launchedRuns(): string[] {
    return this.launches.map((l) => l.taskId);
  }

  private makeDriver(scheduler: Scheduler): SchedulerDriver {
    const self = this;
    const guard = (name: string): void => {
      self.calls.push(name);
      if (!self.available || self.scheduler !== scheduler) throw Object.assign(new Error(`${name}: no master`), { code: 'UNAVAILABLE' });
    };
    const ok: CallReply = { ok: true };
    const driver = {
      get state(): string {
        return self.available && self.scheduler === scheduler ? 'subscribed' : 'subscribing';
      },
      async launch(offers: OfferRefs, tasks: TaskSpec[], filters?: OfferFilters): Promise<CallReply> {
        guard('LAUNCH');
        return self.accept(ids(offers), tasks, filters);
      },
      async decline(offers: OfferRefs, filters?: OfferFilters): Promise<CallReply> {
        guard('DECLINE');
        for (const id of ids(offers)) self.giveBack(id, filters?.refuseSeconds ?? 5);
        return ok;
      },
      async revive(): Promise<CallReply> {
        guard('REVIVE');
        self.suppressed = false;
        for (const agent of self.agents) agent.refusedUntilMs = 0;
        self.offerSoon();
        return ok;
      },
      async suppress(): Promise<CallReply> {
        guard('SUPPRESS');
        self.suppressed = true;
        return ok;
      },
      async kill(taskId: string): Promise<CallReply> {
        guard('KILL');
        const task = self.tasks.get(taskId);
        if (task && !isTerminalState(task.state)) self.transition(task, 'KILLED', { message: 'killed' });
        return ok;
      },
      async reconcile(tasks: ReconcileTask[] = []): Promise<CallReply> {
        guard('RECONCILE');
        for (const { taskId } of tasks) {
          const task = self.tasks.get(taskId);
          const status = task
            ? self.status(task, task.state, { reason: 'REASON_RECONCILIATION' })
            : { taskId, frameworkId: 'chronos-fw', state: 'LOST' as const, timestamp: self.clock.now(), source: 'SOURCE_MASTER' as const, reason: 'REASON_RECONCILIATION', message: 'reconciliation: task unknown' };
          self.send(status);
        }
        return ok;
      },
      async acknowledge(): Promise<CallReply> {
        return ok;
      },
    };
    return driver as unknown as SchedulerDriver;
  }

  private accept(offerIds: string[], tasks: TaskSpec[], filters?: OfferFilters): CallReply {
    const used = offerIds.map((id) => this.offers.get(id)).filter((o) => o !== undefined);
    const refused = offerIds.filter((id) => !this.offers.has(id)).map((offerId) => ({ offerId, reason: 'offer is not outstanding' }));
    if (used.length === 0) {
      for (const spec of tasks) this.send({ taskId: spec.taskId, frameworkId: 'chronos-fw', agentId: spec.agentId, state: 'LOST', timestamp: this.clock.now(), source: 'SOURCE_MASTER', reason: 'REASON_INVALID_OFFERS', message: 'none of the offers is outstanding' });
      return { ok: true, refusedOffers: refused };
    }
    const { agent } = used[0]!;
    for (const id of offerIds) this.offers.delete(id);
    agent.offered = undefined;
    for (const spec of tasks) {
      if (this.tasks.has(spec.taskId)) {
        this.send({ taskId: spec.taskId, frameworkId: 'chronos-fw', agentId: agent.id, state: 'ERROR', timestamp: this.clock.now(), source: 'SOURCE_MASTER', reason: 'REASON_TASK_INVALID', message: `task id '${spec.taskId}' is already in use` });
        continue;
      }
      this.run(spec, agent);
    }
    agent.refusedUntilMs = this.clock.now() + (filters?.refuseSeconds ?? 5) * 1000;
    this.offerSoon();
    return refused.length > 0 ? { ok: true, refusedOffers: refused } : { ok: true };
  }

  private run(spec: TaskSpec, agent: FakeAgent): void {
    const need = Resources.fromJson(spec.resources as never);
    agent.free.subtractInPlace(need);
    const task: FakeTask = { spec, agentId: agent.id, state: 'STAGING', launchedAtMs: this.clock.now(), timers: [] };
    this.tasks.set(spec.taskId, task);
    this.launches.push({ taskId: spec.taskId, atMs: this.clock.now(), agentId: agent.id });
    this.send(this.status(task, 'STAGING'));
    for (const step of this.script(spec)) {
      task.timers.push(this.clock.setTimeout(() => this.transition(task, step.state, { exitCode: step.exitCode, message: step.message }), step.afterMs));
    }
  }

  private transition(task: FakeTask, state: TaskState, extra: Partial<TaskStatus> = {}): void {
    if (isTerminalState(task.state)) return;
    task.state = state;
    if (isTerminalState(state)) {
      for (const timer of task.timers) this.clock.clearTimeout(timer as never);
      const agent = this.agents.find((a) => a.id === task.agentId)!;
      agent.free.addInPlace(Resources.fromJson(task.spec.resources as never));
      this.offerSoon();
    }
    this.send(this.status(task, state, extra));
  }

  private status(task: FakeTask, state: TaskState, extra: Partial<TaskStatus> = {}): TaskStatus {
    const status: TaskStatus = { taskId: task.spec.taskId, frameworkId: 'chronos-fw', agentId: task.agentId, state, timestamp: this.clock.now(), source: 'SOURCE_EXECUTOR' };
    for (const [k, v] of Object.entries(extra)) if (v !== undefined) (status as Record<string, unknown>)[k] = v;
    return status;
  }

  private send(status: TaskStatus): void {
    const scheduler = this.scheduler;
    const driver = this.driver;
    if (!scheduler || !driver) return;
    void this.deliver(() => scheduler.update(driver, status));
  }

  private deliver(fn: () => unknown): Promise<unknown> {
    this.delivery = this.delivery.then(fn).catch(() => undefined);
    return this.delivery;
  }

  private giveBack(offerId: string, refuseSeconds: number): void {
    const entry = this.offers.get(offerId);
    if (!entry) return;
    this.offers.delete(offerId);
    entry.agent.offered = undefined;
    entry.agent.refusedUntilMs = this.clock.now() + refuseSeconds * 1000;
    this.offerSoon();
  }

  /** An allocation cycle soon, as the real master runs one after resources come back. */
  offerSoon(): void {
    if (this.pendingOffer) return;
    this.pendingOffer = true;
    this.clock.setTimeout(() => {
      this.pendingOffer = false;
      this.offerCycle();
    }, this.offerDelayMs);
  }

  private offerCycle(): void {
    const scheduler = this.scheduler;
    const driver = this.driver;
    if (!scheduler || !driver || this.suppressed) return;
    const now = this.clock.now();
    const batch: Offer[] = [];
    for (const agent of this.agents) {
      if (agent.offered || agent.refusedUntilMs > now || agent.free.isEmpty()) {
        if (agent.refusedUntilMs > now) this.clock.setTimeout(() => this.offerSoon(), agent.refusedUntilMs - now);
        continue;
      }
      const offer: Offer = {
        id: `offer-${++this.offerSeq}`,
        frameworkId: 'chronos-fw',
        agentId: agent.id,
        hostname: agent.hostname,
        resources: agent.free.toJson(),
        attributes: agent.attributes,
        executors: agent.executors,
        allocationInfo: { role: '*' },
      };
      agent.offered = offer.id;
      this.offers.set(offer.id, { offer, agent });
      batch.push(offer);
    }
    if (batch.length > 0) void this.deliver(() => scheduler.offers(driver, batch));
  }
}

function ids(offers: OfferRefs): string[] {
  const list = Array.isArray(offers) ? offers : [offers];
  return list.map((o: Offer | string) => (typeof o === 'string' ? o : o.id));
}
