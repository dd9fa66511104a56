import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { FrameworkInfoInput, Offer, TaskStatus } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { SchedulerDriver, taskSpec, type FrameworkMessage, type Scheduler, type ValidatedTaskSpec } from '@pando/sdk';
import { waitFor } from '@pando/testing';

/** Master flags that keep the offer-API suites fast. */
export const FAST_MASTER_ARGS = ['--allocation-interval-ms', '50', '--framework-heartbeat-interval-ms', '500', '--heartbeat-interval-ms', '500'];

export interface FrameworkOptions {
  natsUrl: string;
  info: FrameworkInfoInput;
  /** What to do with offers; default: keep them (recorded in `offers`). */
  onOffers?: (fw: TestFramework, offers: Offer[]) => unknown;
  /** What to do with an update; throwing leaves it unacknowledged. */
  onUpdate?: (fw: TestFramework, status: TaskStatus) => unknown;
  /** Share a connection (e.g. to test several frameworks on one). */
  nc?: NatsConnection;
}

/**
 * A framework written with the SDK's SchedulerDriver, recording everything it hears, for the
 * end-to-end suites: offers held (`held`, dropped when rescinded or used), every update, rescinds,
 * messages from tasks.
 */
export class TestFramework {
  readonly offers: Offer[] = [];
  readonly held = new Map<string, Offer>();
  readonly updates: TaskStatus[] = [];
  readonly rescinded: string[] = [];
  readonly errors: string[] = [];
  /** MESSAGE events: what tasks' executors sent. */
  readonly messages: FrameworkMessage[] = [];
  driver!: SchedulerDriver;
  private ownsConnection = false;

  private constructor(
    readonly nc: NatsConnection,
    private readonly options: FrameworkOptions,
  ) {}

  static async start(options: FrameworkOptions): Promise<TestFramework> {
    const nc = options.nc ?? (await connect({ servers: options.natsUrl }));
    const fw = new TestFramework(nc, options);
    fw.ownsConnection = !options.nc;
    fw.driver = new SchedulerDriver({ nc, frameworkInfo: options.info, scheduler: fw.scheduler(), callTimeoutMs: 10_000 });
    await fw.driver.start();
    return fw;
  }

  get id(): string {
    return this.driver.frameworkId!;
  }

  private scheduler(): Scheduler {
    return {
      offers: async (_driver, offers) => {
        for (const offer of offers) {
          this.offers.push(offer);
          this.held.set(offer.id, offer);
        }
        await this.options.onOffers?.(this, offers);
      },
      rescinded: (_driver, offerId) => {
        this.rescinded.push(offerId);
        this.held.delete(offerId);
      },
      update: async (_driver, status) => {
        this.updates.push(status);
        await this.options.onUpdate?.(this, status);
      },
      message: (_driver, message) => {
        this.messages.push(message);
      },
      error: (_driver, message) => {
        this.errors.push(message);
      },
    };
  }

  /** Waits until some held offer matches, and returns it. */
  offerWhere(match: (offer: Offer) => boolean, what = 'an offer', timeoutMs = 15_000): Promise<Offer> {
    return waitFor(() => [...this.held.values()].find(match), `${this.options.info.name}: ${what}`, timeoutMs, 20);
  }

  anyOffer(timeoutMs?: number): Promise<Offer> {
    return this.offerWhere(() => true, 'an offer', timeoutMs);
  }

  /** Takes a held offer out (it is being used or declined). */
  take(offer: Offer): Offer {
    this.held.delete(offer.id);
    return offer;
  }

  /** The latest update of a task, once it is in one of `states`. */
  stateOf(taskId: string, states: string[], timeoutMs = 15_000): Promise<TaskStatus> {
    return waitFor(
      () => {
        const mine = this.updates.filter((u) => u.taskId === taskId);
        const last = mine[mine.length - 1];
        return last && states.includes(last.state) ? last : undefined;
      },
      `${this.options.info.name}: task ${taskId} in ${states.join('|')}`,
      timeoutMs,
      20,
    );
  }

  task(offer: Offer, name: string, resources: string, command = 'sleep 60', extra: Partial<Parameters<typeof taskSpec>[0]> = {}): ValidatedTaskSpec {
    return taskSpec({ name, agentId: offer.agentId, resources: Resources.parse(resources), command, ...extra });
  }

  async stop(teardown = true): Promise<void> {
    if (this.driver.state !== 'stopped') await this.driver.stop({ failover: !teardown }).catch(() => undefined);
    if (this.ownsConnection) await this.nc.close().catch(() => undefined);
  }
}

/** Scalar total of offers, by resource name. */
export function offered(offers: readonly Offer[], name: string): number {
  return offers.reduce((sum, offer) => sum + Resources.fromJson(offer.resources).scalar(name), 0);
}
