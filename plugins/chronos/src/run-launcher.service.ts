import { Inject, Injectable } from '@nestjs/common';
import { describeError, type Clock, type Logger } from '@pando/common';
import type { Offer, TaskSpec } from '@pando/protocol';
import type { Resources } from '@pando/resources';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext, type SchedulerDriver } from '@pando/sdk';
import { CHRONOS_OPTIONS } from './chronos.tokens';
import type { ChronosOptions } from './chronos.options';
import type { Job } from './job.schema';
import { fitsOffer } from './offer-match';
import { OfferPool, type AgentOffers } from './offer-pool';
import { buildRunTask, jobExecutor, jobResources } from './run-task.factory';

/** One attempt waiting for an offer. */
export interface LaunchRequest {
  runId: string;
  attempt: number;
  taskId: string;
  scheduledAtMs: number;
  arguments?: string[];
}

/** What the launcher tells the run tracker. */
export interface LaunchListener {
  /** The job of a request, as it is now (undefined: deleted; the request is dropped). */
  jobOf(request: LaunchRequest): Job | undefined;
  /** The attempt was sent to the master on `agentId`. */
  launching(request: LaunchRequest, agentId: string): void;
  /** The master did not take it (no master, stale offer): it is queued again, same task id. */
  notLaunched(request: LaunchRequest, reason: string): void;
  /** When runs are next needed (the earliest waiting instant or retry), to decide on offers. */
  nextDemandMs(): number | undefined;
}

type OfferMode = 'hold' | 'idle';

/** The tasks placed on one agent's offers in a launch round. */
interface Batch {
  held: AgentOffers;
  tasks: TaskSpec[];
  requests: LaunchRequest[];
}

/**
 * Puts attempts on offers. Attempts wait in a FIFO queue; offers are kept while runs are due
 * soon (so that a run due at an instant launches at once, on an offer already in hand) and
 * declined with a 0 s filter once kept `offerHoldMs`, so they come straight back and the
 * allocator may share them meanwhile. With nothing due for a while, offers are declined until
 * shortly before the next run and suppressed; they are revived `holdOffersBeforeMs` before it.
 */
@Injectable()
export class RunLauncher {
  private readonly queue = new Map<string, LaunchRequest>();
  private readonly held = new OfferPool();
  private readonly needs = new WeakMap<Job, { need: Resources; executor: string; json: ReturnType<Resources['toJson']> }>();
  private listener: LaunchListener | undefined;
  /** ACCEPTs sent and not answered yet, and who waits for none to be. */
  private inFlight = 0;
  private readonly idleWaiters: Array<() => void> = [];
  private dispatchQueued = false;
  private dispatching = false;
  private suppressed = false;
  /** Offers were declined with a long filter (or suppressed) since the last revive. */
  private starved = false;
  private rotate = 0;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** Counters for the API and benchmarks. */
  readonly stats = { accepts: 0, tasksLaunched: 0, declines: 0, revives: 0, suppresses: 0, relaunches: 0, offersReceived: 0 };
  /** The last launch rounds: when, how many attempts waited, offers held, tasks launched, ACCEPT round trips. */
  readonly rounds: Array<{ at: string; queued: number; held: number; launched: number; buildMs: number; acceptMs: number[] }> = [];

  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext,
    @Inject(CHRONOS_OPTIONS) private readonly options: ChronosOptions,
  ) {
    this.clock = context.clock;
    this.log = context.log;
  }

  setListener(listener: LaunchListener): void {
    this.listener = listener;
  }

  private get driver(): SchedulerDriver {
    return this.context.driver;
  }

  /** Attempts waiting for an offer. */
  get queued(): number {
    return this.queue.size;
  }

  /**
   * Resolves once no ACCEPT is waiting for the master's answer, or after `maxWaitMs`. The tracker
   * holds back the acknowledgement of RUNNING updates with it during a launch burst: the master
   * then spends its time on the launches still queued before it answers a thousand ACKNOWLEDGEs
   * (backpressure in favour of what is late), and agents re-send an unacknowledged update only
   * after 0.5 s or more.
   */
  launchesSettled(maxWaitMs: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(resolve, maxWaitMs);
      this.idleWaiters.push(() => {
        this.clock.clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Offers held now. */
  get heldOffers(): number {
    return this.held.offerCount;
  }

  isQueued(taskId: string): boolean {
    return this.queue.has(taskId);
  }

  enqueue(request: LaunchRequest): void {
    this.queue.set(request.taskId, request);
    if (this.starved || this.suppressed) this.revive();
    this.dispatchSoon();
  }

  cancel(taskId: string): void {
    this.queue.delete(taskId);
  }

  // ---- driver callbacks ---------------------------------------------------------------------

  offers(offers: readonly Offer[]): void {
    const now = this.clock.now();
    this.stats.offersReceived += offers.length;
    for (const offer of offers) this.held.add(offer, now);
    this.dispatch();
    this.manageOffers(now);
  }

  rescinded(offerId: string): void {
    this.held.remove(offerId);
  }

  /**
   * A (re)subscription. Whether the master still has our filters and suppression is not known
   * (a new leader has none, the same one may): revive as soon as runs are due, suppress again
   * when they are not.
   */
  subscribed(): void {
    this.held.clear();
    this.suppressed = false;
    this.starved = true;
    if (this.mode(this.clock.now()) === 'hold') this.revive();
    else this.manageOffers(this.clock.now());
  }

  disconnected(): void {
    // The master takes back the offers of a disconnected framework.
    this.held.clear();
  }

  /** Every tick: offers kept too long go back, and offers are revived or suppressed as runs come due. */
  tick(): void {
    const now = this.clock.now();
    if (this.queue.size > 0 && this.held.size > 0) this.dispatch();
    this.manageOffers(now);
  }

  // ---- matching -------------------------------------------------------------------------------

  private dispatchSoon(): void {
    if (this.dispatchQueued) return;
    this.dispatchQueued = true;
    // Coalesces every attempt queued in the same turn (a thousand runs of one instant) into one round.
    queueMicrotask(() => {
      this.dispatchQueued = false;
      this.dispatch();
    });
  }

  /**
   * Places queued attempts on held offers, in queue order, and launches them: one ACCEPT per
   * agent. Agents are filled in turn up to an even share of the round (spreading the runs), and
   * each agent's ACCEPT is sent as soon as its share is placed, so the master starts on the first
   * launches while later ones are still being built. The driver validates a call and hands it to
   * the NATS client, which writes in a microtask: the round yields one microtask after each send
   * (no timer or I/O callback runs in between, so nothing else changes the offers meanwhile).
   */
  dispatch(): void {
    if (this.dispatching || this.queue.size === 0 || this.held.size === 0 || !this.listener) return;
    this.dispatching = true;
    this.dispatchRound(this.listener).finally(() => {
      this.dispatching = false;
      if (this.queue.size > 0 && this.held.size > 0) this.dispatchSoon();
    });
  }

  private async dispatchRound(listener: LaunchListener): Promise<void> {
    const began = this.clock.now();
    const round = { at: new Date(began).toISOString(), queued: this.queue.size, held: this.held.offerCount, launched: 0, buildMs: 0, acceptMs: [] as number[] };
    // The round owns these offers until it ends: nothing declines them under it (see restore below).
    const offers = this.held.agents();
    for (const agent of offers) this.held.take(agent.agentId);
    const share = Math.ceil(this.queue.size / offers.length);
    const refuseSeconds = this.mode(began) === 'hold' ? 0 : 5;
    const groups = new Map<string, Batch>();
    const full = new Set<string>();
    const sent = new Set<string>();
    const send = async (group: Batch): Promise<void> => {
      groups.delete(group.held.agentId);
      sent.add(group.held.agentId);
      for (const request of group.requests) listener.launching(request, group.held.agentId);
      round.launched += group.tasks.length;
      this.launch(group, refuseSeconds, round.acceptMs);
      await Promise.resolve();
    };
    try {
      await this.place(listener, offers, share, full, groups, send);
      for (const group of [...groups.values()]) await send(group);
    } finally {
      for (const agent of offers) if (!sent.has(agent.agentId)) this.held.restore(agent);
    }
    round.buildMs = this.clock.now() - began;
    if (round.launched > 0) {
      this.rounds.push(round);
      if (this.rounds.length > 50) this.rounds.shift();
    }
  }

  /** Places the queued attempts on the round's offers, sending each agent's ACCEPT once it has its share. */
  private async place(listener: LaunchListener, offers: readonly AgentOffers[], share: number, full: Set<string>, groups: Map<string, Batch>, send: (group: Batch) => Promise<void>): Promise<void> {
    for (const request of [...this.queue.values()]) {
      const job = listener.jobOf(request);
      if (!job) {
        this.queue.delete(request.taskId);
        continue;
      }
      const need = this.needOf(job);
      const held = this.pick(offers, job, need.need, need.executor, full);
      if (!held) continue;
      held.remaining.subtractInPlace(need.need);
      let group = groups.get(held.agentId);
      if (!group) groups.set(held.agentId, (group = { held, tasks: [], requests: [] }));
      group.tasks.push(buildRunTask({ job, ...request, agentId: held.agentId, resources: need.json }));
      group.requests.push(request);
      this.queue.delete(request.taskId);
      if (group.tasks.length >= share) {
        full.add(held.agentId);
        await send(group);
      }
    }
  }

  /**
   * The offer for one task of the job: the current agent while it has less than its share
   * (`full` lists those that have it, their ACCEPT sent), else the next one that fits. What no
   * agent takes this round waits for the next.
   */
  private pick(offers: readonly AgentOffers[], job: Job, need: Resources, executor: string, full: ReadonlySet<string>): AgentOffers | undefined {
    for (let i = 0; i < offers.length; i++) {
      const held = offers[(this.rotate + i) % offers.length]!;
      if (!full.has(held.agentId) && fitsOffer(job, need, executor, held)) {
        this.rotate = (this.rotate + i) % offers.length;
        return held;
      }
    }
    return undefined;
  }

  private needOf(job: Job): { need: Resources; executor: string; json: ReturnType<Resources['toJson']> } {
    let need = this.needs.get(job);
    if (!need) {
      const resources = jobResources(job);
      need = { need: resources, executor: jobExecutor(job), json: resources.toJson() };
      this.needs.set(job, need);
    }
    return need;
  }

  private launch({ held, tasks, requests }: Batch, refuseSeconds: number, acceptMs: number[]): void {
    this.stats.accepts++;
    this.stats.tasksLaunched += tasks.length;
    const sent = this.clock.now();
    this.inFlight++;
    this.driver.launch([...held.offers.keys()], tasks, { refuseSeconds }).finally(() => {
      if (--this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }).then(
      (reply) => {
        if (acceptMs.length < 100) acceptMs.push(this.clock.now() - sent);
        // Some offers were gone (rescinded): tasks the rest could not hold are refused by the
        // master; the attempts wait for new offers (a task the master did launch is then refused
        // as a duplicate id, and reconciled).
        if ((reply.refusedOffers ?? []).length > 0) this.relaunch(requests, `offers of agent ${held.agentId} were no longer valid: ${reply.refusedOffers![0]!.reason}`);
      },
      (err: unknown) => this.relaunch(requests, `ACCEPT failed: ${describeError(err)}`),
    );
  }

  private relaunch(requests: readonly LaunchRequest[], reason: string): void {
    this.log.warn({ tasks: requests.map((r) => r.taskId), reason }, `launch of ${requests.length} tasks did not happen (${reason}); they wait for new offers`);
    this.stats.relaunches += requests.length;
    for (const request of requests) this.listener?.notLaunched(request, reason);
  }

  // ---- offer flow -------------------------------------------------------------------------------

  private mode(now: number): OfferMode {
    if (this.queue.size > 0) return 'hold';
    const next = this.listener?.nextDemandMs();
    return next !== undefined && next - now <= this.options.holdOffersBeforeMs ? 'hold' : 'idle';
  }

  /** Holds, returns or refuses offers for the time until the next run; revives or suppresses. */
  private manageOffers(now: number): void {
    if (this.mode(now) === 'hold') {
      if (this.starved || this.suppressed) this.revive();
      const agents = this.held.agents();
      const expired = agents.filter((h) => now - h.receivedAtMs >= this.options.offerHoldMs);
      if (expired.length > 0) this.decline(expired, 0);
      // Beyond maxHeldOffers agents, offers go back for a second: others may use them meanwhile.
      const excess = agents.filter((h) => !expired.includes(h)).slice(this.options.maxHeldOffers);
      if (excess.length > 0) this.decline(excess, 1);
      return;
    }
    const next = this.listener?.nextDemandMs();
    const untilNext = next === undefined ? Infinity : next - now;
    if (this.held.size > 0) {
      const refuse = Math.min(3600, Math.max(1, Math.floor((untilNext - this.options.holdOffersBeforeMs) / 1000)));
      this.decline(this.held.agents(), refuse);
      this.starved = true;
    }
    if (untilNext > this.options.suppressAfterMs && !this.suppressed) this.suppress();
  }

  private decline(agents: readonly AgentOffers[], refuseSeconds: number): void {
    const ids: string[] = [];
    for (const agent of agents) {
      this.held.take(agent.agentId);
      ids.push(...agent.offers.keys());
    }
    this.stats.declines += ids.length;
    this.driver.decline(ids, { refuseSeconds }).catch((err: unknown) => this.log.debug({ err: describeError(err) }, `DECLINE failed: ${describeError(err)}`));
  }

  private revive(): void {
    this.suppressed = false;
    this.starved = false;
    this.stats.revives++;
    this.driver.revive().catch((err: unknown) => {
      this.starved = true;
      this.log.debug({ err: describeError(err) }, `REVIVE failed: ${describeError(err)}`);
    });
  }

  private suppress(): void {
    this.suppressed = true;
    this.stats.suppresses++;
    this.driver.suppress().catch((err: unknown) => {
      this.suppressed = false;
      this.log.debug({ err: describeError(err) }, `SUPPRESS failed: ${describeError(err)}`);
    });
  }
}
