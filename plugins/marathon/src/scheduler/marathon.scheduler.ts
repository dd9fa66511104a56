import { Inject, Injectable } from '@nestjs/common';
import type { Offer, TaskStatus } from '@pando/protocol';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext, type Scheduler, type SchedulerDriver, type SubscribedInfo } from '@pando/sdk';
import { KillQueue } from './kill-queue.service';
import { OfferFlow } from './offer-flow.service';
import { OfferHandler } from './offer-handler.service';
import { Reconciler } from './reconciler.service';
import { TaskStatusHandler } from './task-status.handler';
import { InstanceKeeper } from './instance-keeper.service';

/**
 * The Marathon plugin's Scheduler: the driver's callbacks, each handed to the service that owns
 * it. Callbacks run one at a time (the driver's guarantee), and `update` stays O(1) so that
 * 10,000 updates a second do not back up the event queue.
 */
@Injectable()
export class MarathonScheduler implements Scheduler {
  subscriptions = 0;
  connected = false;

  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext,
    private readonly offerHandler: OfferHandler,
    private readonly statusHandler: TaskStatusHandler,
    private readonly offerFlow: OfferFlow,
    private readonly reconciler: Reconciler,
    private readonly killer: KillQueue,
    private readonly keeper: InstanceKeeper,
  ) {}

  subscribed(_driver: SchedulerDriver, info: SubscribedInfo): void {
    this.subscriptions++;
    this.connected = true;
    this.context.log.info({ frameworkId: info.frameworkId, reconnected: info.reconnected }, `marathon subscribed as framework ${info.frameworkId}`);
    this.offerFlow.subscribed();
    this.reconciler.subscribed();
    this.killer.resume();
    this.keeper.markAllDirty();
  }

  async offers(_driver: SchedulerDriver, offers: Offer[]): Promise<void> {
    await this.offerHandler.handle(offers);
  }

  update(_driver: SchedulerDriver, status: TaskStatus): void {
    this.statusHandler.handle(status);
  }

  disconnected(): void {
    this.connected = false;
    this.context.log.warn('marathon lost the master; tasks keep running, changes wait for the next subscription');
  }

  error(_driver: SchedulerDriver, message: string): void {
    this.connected = false;
    this.context.log.error({ err: message }, `marathon framework stopped by the master: ${message}`);
  }
}
