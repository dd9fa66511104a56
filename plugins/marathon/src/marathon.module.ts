import { Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';
import { AppCommands } from './api/app-commands.service';
import { AppViews } from './api/app-views.service';
import { AppsController } from './api/apps.controller';
import { ChangeExecutor } from './api/change-executor.service';
import { DeploymentsController } from './api/deployments.controller';
import { EventsController } from './api/events.controller';
import { GroupCommands } from './api/group-commands.service';
import { GroupsController } from './api/groups.controller';
import { InfoController } from './api/info.controller';
import { MarathonExceptionFilter } from './api/marathon-exception.filter';
import { MarathonMetrics } from './api/marathon-metrics.service';
import { QueueController } from './api/queue.controller';
import { TasksController } from './api/tasks.controller';
import { MARATHON_OPTIONS } from './marathon.tokens';
import { parseMarathonOptions } from './marathon.options';
import { ConvergenceLoop } from './scheduler/convergence-loop.service';
import { DeploymentRunner } from './scheduler/deployment-runner.service';
import { InstanceKeeper } from './scheduler/instance-keeper.service';
import { KillQueue } from './scheduler/kill-queue.service';
import { MarathonScheduler } from './scheduler/marathon.scheduler';
import { OfferFlow } from './scheduler/offer-flow.service';
import { OfferHandler } from './scheduler/offer-handler.service';
import { ReadinessChecker } from './scheduler/readiness-checker.service';
import { Reconciler } from './scheduler/reconciler.service';
import { TaskStatusHandler } from './scheduler/task-status.handler';
import { AppStore } from './state/app-store.service';
import { DeploymentRegistry } from './state/deployment-registry.service';
import { EventBus } from './state/event-bus.service';
import { TaskJournal } from './state/task-journal.service';
import { TaskTracker } from './state/task-tracker.service';

/**
 * Loads the plugin's state before the host starts the driver (the host subscribes after the
 * module's init hooks ran): apps, versions, deployments in progress, and the tasks of the
 * launch journal, which reconciliation then confirms or drops.
 */
@Injectable()
export class MarathonBootstrap implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext,
    private readonly apps: AppStore,
    private readonly journal: TaskJournal,
    private readonly tracker: TaskTracker,
    private readonly runner: DeploymentRunner,
    private readonly loop: ConvergenceLoop,
    private readonly events: EventBus,
  ) {}

  async onModuleInit(): Promise<void> {
    const deployments = await this.apps.load();
    for (const task of await this.journal.load()) this.tracker.add(task);
    await this.runner.resume(deployments);
    this.loop.start();
    this.context.log.info(
      { apps: this.apps.count(), tasks: this.tracker.size, deployments: deployments.length },
      `marathon loaded ${this.apps.count()} apps, ${this.tracker.size} tasks to reconcile, ${deployments.length} deployments in progress`,
    );
  }

  onApplicationShutdown(): void {
    this.loop.stop();
    this.apps.close();
    this.events.close();
  }
}

/** The Marathon plugin's Nest module; the framework host provides FRAMEWORK_PLUGIN_CONTEXT. */
@Module({
  controllers: [AppsController, GroupsController, DeploymentsController, TasksController, QueueController, EventsController, InfoController],
  providers: [
    { provide: MARATHON_OPTIONS, useFactory: (context: FrameworkPluginContext) => parseMarathonOptions(context.options), inject: [FRAMEWORK_PLUGIN_CONTEXT] },
    // Global, so that the body parser's syntax errors (raised before any controller) get Marathon's 400 too.
    { provide: APP_FILTER, useClass: MarathonExceptionFilter },
    AppStore,
    TaskTracker,
    TaskJournal,
    EventBus,
    DeploymentRegistry,
    ConvergenceLoop,
    KillQueue,
    OfferFlow,
    InstanceKeeper,
    OfferHandler,
    TaskStatusHandler,
    Reconciler,
    ReadinessChecker,
    DeploymentRunner,
    MarathonScheduler,
    ChangeExecutor,
    AppCommands,
    GroupCommands,
    AppViews,
    MarathonMetrics,
    MarathonBootstrap,
  ],
  exports: [MarathonScheduler],
})
export class MarathonModule {}
