import { Module } from '@nestjs/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';
import { parseChronosOptions } from './chronos.options';
import { ChronosScheduler } from './chronos.scheduler';
import { CHRONOS_OPTIONS } from './chronos.tokens';
import { JobAdmin } from './job-admin.service';
import { JobPlanner } from './job-planner.service';
import { JobStore } from './job-store.service';
import { JobViews } from './job-views.service';
import { JobsController } from './jobs.controller';
import { RunEvents } from './run-events.service';
import { RunHistory } from './run-history.service';
import { RunLauncher } from './run-launcher.service';
import { RunStore } from './run-store.service';
import { RunTracker } from './run-tracker.service';
import { SchedulerInfoController } from './scheduler-info.controller';

/** The Chronos plugin's Nest module; the framework host adds the FRAMEWORK_PLUGIN_CONTEXT provider. */
@Module({
  controllers: [JobsController, SchedulerInfoController],
  providers: [
    {
      provide: CHRONOS_OPTIONS,
      useFactory: (context: FrameworkPluginContext) => parseChronosOptions(context.options),
      inject: [FRAMEWORK_PLUGIN_CONTEXT],
    },
    JobStore,
    RunStore,
    RunEvents,
    RunLauncher,
    RunHistory,
    RunTracker,
    JobPlanner,
    JobAdmin,
    JobViews,
    ChronosScheduler,
  ],
  exports: [ChronosScheduler],
})
export class ChronosModule {}
