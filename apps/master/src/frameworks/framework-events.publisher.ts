import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { encode, publish, Subjects, type Offer, type SchedulerEvent, type TaskStatus } from '@pando/protocol';
import { MasterIdentity } from '../identity/master-identity';
import { NATS_CONNECTION } from '../master.tokens';

/** An event as built by the master; the publisher stamps the epoch. */
export type OutgoingEvent = SchedulerEvent extends infer E ? (E extends SchedulerEvent ? Omit<E, 'epoch'> : never) : never;

/**
 * Offers per OFFERS event: a thousand offers are ~400 KB of JSON, and NATS refuses messages over
 * its max_payload (1 MB by default), so large batches go out in several events.
 */
export const OFFERS_PER_EVENT = 250;

/** Everything the master sends to frameworks, stamped with the current epoch. */
@Injectable()
export class FrameworkEventsPublisher {
  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly identity: MasterIdentity,
  ) {}

  send(frameworkId: string, event: OutgoingEvent): void {
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
    this.send(frameworkId, { type: 'UPDATE', update: { status } });
  }

  subscribed(frameworkId: string, heartbeatIntervalSeconds: number): void {
    this.send(frameworkId, { type: 'SUBSCRIBED', subscribed: { frameworkId, heartbeatIntervalSeconds, masterId: this.identity.masterId } });
  }

  error(frameworkId: string, message: string): void {
    this.send(frameworkId, { type: 'ERROR', error: { message } });
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
