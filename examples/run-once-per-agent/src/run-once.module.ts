import { Module } from '@nestjs/common';
import { RunBook } from './run-book';
import { RunOnceScheduler } from './run-once.scheduler';
import { RunsController } from './runs.controller';

/** Everything the plugin is made of; the host adds FRAMEWORK_PLUGIN_CONTEXT (global) around it. */
@Module({
  controllers: [RunsController],
  providers: [RunBook, RunOnceScheduler],
})
export class RunOnceModule {}
