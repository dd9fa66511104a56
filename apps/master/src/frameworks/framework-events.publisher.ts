import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { createLogger, TickBatcher } from '@pando/common';
import { encode, encodeBatches, MAX_SCHEDULER_BATCH, publish, Subjects, type Offer, type SchedulerEvent, type TaskStatus } from '@pando/protocol';
import { MasterIdentity } from '../identity/master-identity';
import { NATS_CONNECTION } from '../master.tokens';

/** An event as built by the master; the publisher stamps the epoch. */
export type OutgoingEvent = SchedulerEvent extends infer E ? (E extends SchedulerEvent ? Omit<E, 'epoch'> : never) : never;

/**
 * Offers per OFFERS event: a thousand offers are ~400 KB of JSON, and NATS refuses messages over
 * its max_payload (1 MB by default), so large batches go out in several events.
 */
export const OFFERS_PER_EVENT = 250;

/**
 * Everything the master sends to frameworks, stamped with the current epoch. UPDATE events are
 * batched per framework for one turn of the event loop (the updates of a burst of status messages
 * go out as one event); any other event first sends the framework's waiting updates, so a
 * framework sees its events in the order the master made them.
 */
@Injectable()
export class FrameworkEventsPublisher implements OnModuleDestroy {
  private readonly log = createLogger('framework-events');
  private readonly updates = new TickBatcher<TaskStatus>((frameworkId, statuses) => this.sendUpdates(frameworkId, statuses), this.log);

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly identity: MasterIdentity,
  ) {}

  onModuleDestroy(): void {
    // Unsent updates are not lost: they are re-sent until acknowledged, by this master or the next.
    this.updates.clear();
  }

  send(frameworkId: string, event: OutgoingEvent): void {
    this.updates.flushKey(frameworkId);
    publish(this.nc, Subjects.frameworkEvents(frameworkId), { ...event, epoch: this.identity.epoch });
  }

  offers(frameworkId: string, offers: Offer[]): void {
    for (let i = 0; i < offers.length; i += OFFERS_PER_EVENT) {
      this.send(frameworkId, { type: 'OFFERS', offers: offers.slice(i, i + OFFERS_PER_EVENT) });
    }
  }

  rescind(frameworkId: string, offerId: string): void {
    this.send(frameworkId, { type: 'RESCIND', rescind: { offerId } });
  }

  update(frameworkId: string, status: TaskStatus): void {
    this.updates.add(frameworkId, status);
  }

  subscribed(frameworkId: string, heartbeatIntervalSeconds: number): void {
    this.send(frameworkId, { type: 'SUBSCRIBED', subscribed: { frameworkId, heartbeatIntervalSeconds, masterId: this.identity.masterId } });
  }

  error(frameworkId: string, message: string): void {
    this.send(frameworkId, { type: 'ERROR', error: { message } });
  }

  private sendUpdates(frameworkId: string, statuses: TaskStatus[]): void {
    const subject = Subjects.frameworkEvents(frameworkId);
    const head = { type: 'UPDATE', epoch: this.identity.epoch };
    const updates = statuses.map((status) => ({ status }));
    for (const data of encodeBatches(head, updates, { one: 'update', many: 'updates', maxItems: MAX_SCHEDULER_BATCH })) this.nc.publish(subject, data);
  }

  /**
   * A HEARTBEAT sent as a request: resolves true when the framework's driver answered, false on
   * "no responders" or a timeout (nobody listens on its event subject any more).
   */
  async heartbeat(frameworkId: string, timeoutMs: number): Promise<boolean> {
    try {
      await this.nc.request(Subjects.frameworkEvents(frameworkId), encode({ type: 'HEARTBEAT', epoch: this.identity.epoch }), { timeout: timeoutMs });
      return true;
    } catch {
      return false;
    }
  }
}
