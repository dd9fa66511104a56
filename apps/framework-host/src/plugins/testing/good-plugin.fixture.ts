import { Injectable, Module } from '@nestjs/common';
import { defineFrameworkPlugin, FRAMEWORK_PLUGIN_API_VERSION, type Scheduler } from '@pando/sdk';

@Injectable()
export class FixtureScheduler implements Scheduler {
  offers(): void {}
  update(): void {}
}

@Module({ providers: [FixtureScheduler] })
export class FixtureModule {}

/** A valid plugin exported under an arbitrary name (the loader searches every export). */
export const somethingElseEntirely = defineFrameworkPlugin({
  id: 'fixture-good',
  apiVersion: FRAMEWORK_PLUGIN_API_VERSION,
  framework: { name: 'fixture-good' },
  defaultPort: 0,
  module: FixtureModule,
  scheduler: FixtureScheduler,
});

export const notAPlugin = { id: 'fixture-good', apiVersion: 1 };
