import { Inject, Injectable } from '@nestjs/common';
import { describeError } from '@pando/common';
import type { Offer, Operation, TaskSpec } from '@pando/protocol';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';
import type { AppDefinition } from '../app.types';
import { MARATHON_OPTIONS } from '../marathon.tokens';
import type { MarathonOptions } from '../marathon.options';
import { TaskJournal, type LaunchRecord } from '../state/task-journal.service';
import { TaskTracker, type TrackedTask } from '../state/task-tracker.service';
import { ConvergenceLoop } from './convergence-loop.service';
import { InstanceKeeper } from './instance-keeper.service';
import { KillQueue } from './kill-queue.service';
import { placeOffers, type PlannedLaunch } from './offer-placer';

/** The master takes at most this many tasks per LAUNCH operation. */
const MAX_TASKS_PER_LAUNCH = 1000;
/** ACCEPT calls in flight at once (see launchNow). */
const ACCEPTS_IN_FLIGHT = 4;
/** Filter on what an ACCEPT leaves of its offer while instances still wait. */
const LEFTOVER_REFUSE_SECONDS = 1;

export interface AgentInfo {
  hostname: string;
  attributes: Record<string, string | number>;
}

/**
 * Answers offers: places waiting instances in them (many per offer), writes the launch records
 * ahead, tracks the new tasks as STAGING, and sends one ACCEPT per offer with all its tasks;
 * offers nothing fits are declined together in one DECLINE, with the long filter when nothing
 * waits at all and a short one otherwise.
 */
@Injectable()
export class OfferHandler {
  private readonly agents = new Map<string, AgentInfo>();
  offersSeen = 0;
  offersDeclined = 0;
  tasksLaunched = 0;

  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext,
    @Inject(MARATHON_OPTIONS) private readonly options: MarathonOptions,
    private readonly keeper: InstanceKeeper,
    private readonly tracker: TaskTracker,
    private readonly journal: TaskJournal,
    private readonly loop: ConvergenceLoop,
    private readonly killer: KillQueue,
  ) {}

  /** Host name and attributes of an agent seen in an offer (for tasks adopted without a record). */
  agent(agentId: string): AgentInfo | undefined {
    return this.agents.get(agentId);
  }

  executorOf(app: AppDefinition): string {
    return app.container ? 'docker' : this.options.commandExecutor;
  }

  async handle(offers: Offer[]): Promise<void> {
    this.offersSeen += offers.length;
    for (const offer of offers) this.agents.set(offer.agentId, { hostname: offer.hostname, attributes: offer.attributes });
    // Decide on fresh demand: updates processed since the last loop run may have changed it.
    this.loop.runNow();
    const requests = this.keeper.launchRequests();
    if (requests.length === 0) {
      await this.decline(offers, this.options.declineRefuseSeconds);
      return;
    }
    const now = this.context.clock.now();
    const started = performance.now();
    const result = placeOffers(offers, requests, { executorOf: (app) => this.executorOf(app) });
    const placedMs = performance.now() - started;
    for (const r of result.rejections) this.keeper.launchQueue.recordNoMatch(r.appId, r.offer, r.reasons, now);
    const launched = await this.launch(result.launches, now);
    const stillWaiting = this.keeper.launchRequests().length > 0;
    const unused = [...result.unused, ...launched.failedOffers];
    await this.decline(unused, stillWaiting ? this.options.mismatchRefuseSeconds : this.options.declineRefuseSeconds);
    const tasks = result.launches.reduce((n, l) => n + l.specs.length, 0);
    if (tasks > 0) {
      const ms = Math.round(performance.now() - started);
      this.context.log.info({ offers: offers.length, tasks, placementMs: Math.round(placedMs), totalMs: ms }, `launched ${tasks} tasks on ${result.launches.length} offers in ${ms} ms`);
    }
  }

  private async launch(launches: PlannedLaunch[], now: number): Promise<{ failedOffers: Offer[] }> {
    if (launches.length === 0) return { failedOffers: [] };
    this.killer.launchesInFlight++;
    try {
      return await this.launchNow(launches, now);
    } finally {
      this.killer.launchesInFlight--;
    }
  }

  private async launchNow(launches: PlannedLaunch[], now: number): Promise<{ failedOffers: Offer[] }> {
    const batches = launches.map((launch) => ({ launch, batchId: this.journal.newBatchId() }));
    try {
      await this.journal.record(batches.map(({ launch, batchId }) => ({ batchId, record: launchRecord(launch, now) })));
    } catch (err) {
      this.context.log.warn({ err: describeError(err) }, `cannot write launch records, declining the offers: ${describeError(err)}`);
      return { failedOffers: [...new Set(launches.map((l) => l.offer))] };
    }
    const byOffer = new Map<Offer, TrackedTask[]>();
    for (const { launch, batchId } of batches) {
      const tasks = launch.specs.map((spec, i) => trackedTask(spec, launch, batchId, now, i));
      for (const task of tasks) this.tracker.add(task);
      this.keeper.placed(launch.app.id, tasks.length);
      byOffer.set(launch.offer, [...(byOffer.get(launch.offer) ?? []), ...tasks]);
    }
    const specsOf = new Map(launches.flatMap((l) => l.specs.map((s) => [s.taskId, s] as const)));
    // What an offer has left goes back with the long filter only when nothing waits any more;
    // otherwise it may be what the rest needs (a launch is capped by the ACCEPT's size).
    const stillWaiting = this.keeper.launchRequests().length > 0;
    const refuseSeconds = stillWaiting ? LEFTOVER_REFUSE_SECONDS : this.options.declineRefuseSeconds;
    // A few ACCEPTs in flight at a time: the master works through calls in order, and a burst
    // of 100 big ACCEPTs queued at once would delay the acknowledgements of the first tasks'
    // updates behind all of them (past the driver's call timeout, which it reads as master loss).
    const queue = [...byOffer];
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [offer, tasks] = next;
        const ok = await this.accept(offer, tasks.map((t) => specsOf.get(t.taskId)!), refuseSeconds);
        if (ok) this.tasksLaunched += tasks.length;
        else this.dropUnlaunched(tasks);
      }
    };
    await Promise.all(Array.from({ length: Math.min(ACCEPTS_IN_FLIGHT, queue.length) }, worker));
    return { failedOffers: [] };
  }

  /** One ACCEPT with every task of the offer; false when the master refused the offer. */
  private async accept(offer: Offer, specs: TaskSpec[], refuseSeconds: number): Promise<boolean> {
    const operations: Operation[] = [];
    for (let i = 0; i < specs.length; i += MAX_TASKS_PER_LAUNCH) {
      operations.push({ type: 'LAUNCH', launch: { taskInfos: specs.slice(i, i + MAX_TASKS_PER_LAUNCH) } });
    }
    try {
      const reply = await this.context.driver.accept(offer, operations, { refuseSeconds });
      if ((reply.refusedOffers ?? []).length === 0) return true;
      this.context.log.info({ offerId: offer.id, refused: reply.refusedOffers }, `offer ${offer.id} was refused by the master; its tasks go back to the queue`);
      return false;
    } catch (err) {
      // Unknown outcome (e.g. a timeout): keep the tasks; reconciliation tells whether they exist.
      this.context.log.warn({ offerId: offer.id, tasks: specs.length, err: describeError(err) }, `ACCEPT of offer ${offer.id} failed: ${describeError(err)}`);
      for (const spec of specs) {
        const task = this.tracker.get(spec.taskId);
        if (task) task.confirmed = false;
      }
      return true;
    }
  }

  /** Tasks of a refused offer never existed: forget them (no backoff: not the app's fault). */
  private dropUnlaunched(tasks: readonly TrackedTask[]): void {
    for (const task of tasks) {
      if (this.tracker.remove(task.taskId)) this.journal.release(task);
      this.keeper.markDirty(task.appId);
    }
  }

  private async decline(offers: readonly Offer[], refuseSeconds: number): Promise<void> {
    if (offers.length === 0) return;
    this.offersDeclined += offers.length;
    try {
      await this.context.driver.decline([...offers], { refuseSeconds });
    } catch (err) {
      this.context.log.warn({ offers: offers.length, err: describeError(err) }, `DECLINE failed: ${describeError(err)}`);
    }
  }
}

function launchRecord(launch: PlannedLaunch, now: number): LaunchRecord {
  return {
    appId: launch.app.id,
    version: launch.app.version,
    agentId: launch.offer.agentId,
    hostname: launch.offer.hostname,
    attributes: launch.offer.attributes,
    stagedAt: now,
    tasks: launch.specs.map((spec, i) => [spec.taskId, launch.hostPorts[i]!]),
  };
}

function trackedTask(spec: TaskSpec, launch: PlannedLaunch, batchId: string, now: number, index: number): TrackedTask {
  return {
    taskId: spec.taskId,
    appId: launch.app.id,
    agentId: launch.offer.agentId,
    host: launch.offer.hostname,
    attributes: launch.offer.attributes,
    hostPorts: launch.hostPorts[index]!,
    version: launch.app.version,
    state: 'STAGING',
    stagedAt: now,
    batchId,
    confirmed: true,
  };
}
