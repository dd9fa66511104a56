import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from '@pando/common';
import type { Offer, TaskStatus } from '@pando/protocol';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext, type Scheduler, type SchedulerDriver, type SubscribedInfo } from '@pando/sdk';
import { JobPlanner } from './job-planner.service';
import { JobStore } from './job-store.service';
import { RunLauncher } from './run-launcher.service';
import { RunTracker } from './run-tracker.service';

/**
 * The Chronos framework's Scheduler: the driver's callbacks, handed to the launcher (offers)
 * and the tracker (task updates). At bootstrap, before the host subscribes the framework, the
 * jobs and their active runs are loaded and the tick loop starts; recovered runs wait for the
 * master's word on their tasks (reconciliation) before anything is launched again.
 */
@Injectable()
export class ChronosScheduler implements Scheduler, OnApplicationBootstrap, OnModuleDestroy {
  private readonly log: Logger;

  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) context: FrameworkPluginContext,
    private readonly jobs: JobStore,
    private readonly planner: JobPlanner,
    private readonly tracker: RunTracker,
    private readonly launcher: RunLauncher,
  ) {
    this.log = context.log;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.load();
    await this.planner.start();
    this.log.info({ jobs: this.jobs.names().length }, `chronos loaded ${this.jobs.names().length} jobs`);
  }

  onModuleDestroy(): void {
    this.planner.stop();
  }

  subscribed(_driver: SchedulerDriver, info: SubscribedInfo): void {
    this.log.info({ frameworkId: info.frameworkId, reconnected: info.reconnected }, 'chronos subscribed');
    this.launcher.subscribed();
    this.tracker.reconcileAll();
  }

  offers(_driver: SchedulerDriver, offers: Offer[]): void {
    this.launcher.offers(offers);
  }

  rescinded(_driver: SchedulerDriver, offerId: string): void {
    this.launcher.rescinded(offerId);
  }

  update(_driver: SchedulerDriver, status: TaskStatus): Promise<void> {
    return this.tracker.onStatus(status);
  }

  disconnected(): void {
    this.launcher.disconnected();
  }

  error(_driver: SchedulerDriver, message: string): void {
    this.log.error({ err: message }, `the master refused or removed the chronos framework: ${message}`);
  }
}
