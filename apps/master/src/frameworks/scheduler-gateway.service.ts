import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { createLogger } from '@pando/common';
import { MasterIdentity } from '../identity/master-identity';
import { acknowledgementsOf, schedulerCallSchema, serveRequests, Subjects, type SchedulerCallParsed, type SchedulerCallReply } from '@pando/protocol';
import { NATS_CONNECTION } from '../master.tokens';
import { AcceptService, acceptReply } from '../offers/accept.service';
import { OfferService } from '../offers/offer.service';
import { FrameworkHeartbeats } from './framework-heartbeat.service';
import { FrameworkLifecycle } from './framework-lifecycle.service';
import { connectionOf, FrameworkRegistry } from './framework-registry.service';
import { ReconciliationService } from './reconciliation.service';
import { TaskCalls } from './task-calls.service';

const OK: SchedulerCallReply = { ok: true };

/**
 * Serves Subjects.schedulerCall. The transport validates every call (a malformed one gets an
 * INPUT error); here every call but SUBSCRIBE must name a subscribed framework and come from the
 * connection it subscribed from (FrameworkRegistry.caller), or it is refused with a typed error
 * before anything changes. Then each call goes to the service that owns it.
 */
@Injectable()
export class SchedulerGateway implements OnModuleDestroy {
  private readonly log = createLogger('scheduler-gateway');
  private subscription?: Subscription;
  private readonly counts = new Map<string, number>();

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly registry: FrameworkRegistry,
    private readonly lifecycle: FrameworkLifecycle,
    private readonly heartbeats: FrameworkHeartbeats,
    private readonly offers: OfferService,
    private readonly acceptor: AcceptService,
    private readonly calls: TaskCalls,
    private readonly reconciliation: ReconciliationService,
    private readonly identity: MasterIdentity,
  ) {}

  /** Calls served per type (metrics, tests). */
  get callCounts(): ReadonlyMap<string, number> {
    return this.counts;
  }

  /** This master leads: serve framework calls (a standby does not answer them at all). */
  async startLeading(): Promise<void> {
    this.subscription = serveRequests(
      this.nc,
      Subjects.schedulerCall,
      schedulerCallSchema,
      'scheduler call',
      (call, msg) => this.handle(call, connectionOf(msg.reply)),
      this.log,
    );
    await this.nc.flush();
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  handle(call: SchedulerCallParsed, connection: string | undefined): SchedulerCallReply {
    this.counts.set(call.type, (this.counts.get(call.type) ?? 0) + 1);
    if (call.type === 'SUBSCRIBE') return this.subscribe(call, connection);
    this.takeOverOnCall(call.frameworkId, connection);
    const framework = this.registry.caller(call.frameworkId, connection, call.type);
    // The caller subscribed to its events before sending any call after SUBSCRIBE, on this same
    // connection, and NATS keeps one connection's order: the call proves that the scheduler
    // listens. It also proves it is alive: a scheduler too busy to answer heartbeats in time (say,
    // flooded with its own reconciliation answers) is not disconnected while it keeps calling.
    if (!framework.listening) this.lifecycle.confirmListening(framework);
    framework.missedHeartbeats = 0;
    switch (call.type) {
      case 'ACCEPT':
        return acceptReply(this.acceptor.accept(framework, call.accept));
      case 'DECLINE': {
        const refused = this.offers.decline(framework.id, call.decline.offerIds, call.decline.filters ?? {});
        return refused.length > 0 ? { ok: true, refusedOffers: refused } : OK;
      }
      case 'REVIVE':
        this.calls.revive(framework, call.revive.roles);
        return OK;
      case 'SUPPRESS':
        this.calls.suppress(framework, call.suppress.roles);
        return OK;
      case 'KILL':
        this.calls.kill(framework, call.kill.taskId, call.kill.agentId, call.kill.killPolicy?.gracePeriodMs);
        return OK;
      case 'SHUTDOWN':
        this.calls.shutdown(framework, call.shutdown.agentId);
        return OK;
      case 'ACKNOWLEDGE':
        this.calls.acknowledgeAll(framework, acknowledgementsOf(call));
        return OK;
      case 'RECONCILE':
        this.reconciliation.reconcile(framework, call.reconcile.tasks);
        return OK;
      case 'MESSAGE':
        this.calls.message(framework, call.message.agentId, call.message.taskId, call.message.data);
        return OK;
      case 'TEARDOWN':
        this.lifecycle.remove(framework, 'torn down by its scheduler');
        return OK;
      case 'UPDATE_FRAMEWORK':
        this.lifecycle.update(framework, call.updateFramework.frameworkInfo);
        return OK;
    }
  }

  /**
   * A framework the last leader had, calling from the session it had then, before this leader took
   * it over (it had not noticed the failover): taken over now, so the call goes through. Its driver
   * hears the SUBSCRIBED event with the new epoch before the call's reply.
   */
  private takeOverOnCall(frameworkId: string, connection: string | undefined): void {
    const record = this.registry.get(frameworkId);
    if (!record || record.phase !== 'recovered' || connection === undefined || record.connection !== connection) return;
    this.lifecycle.takeOver(record);
  }

  private subscribe(call: Extract<SchedulerCallParsed, { type: 'SUBSCRIBE' }>, connection: string | undefined): SchedulerCallReply {
    const record = this.lifecycle.subscribe(call.frameworkId, call.subscribe.frameworkInfo, connection);
    // After the reply is on its way: the driver starts listening once it has its id.
    setImmediate(() => this.heartbeats.probe(record));
    return {
      ok: true,
      frameworkId: record.id,
      heartbeatIntervalSeconds: this.lifecycle.heartbeatIntervalSeconds,
      epoch: this.identity.epoch,
      masterId: this.identity.masterId,
    };
  }
}
