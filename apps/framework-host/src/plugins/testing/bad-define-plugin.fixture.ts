import { defineFrameworkPlugin } from '@pando/sdk';
import { FixtureModule, FixtureScheduler } from './good-plugin.fixture';

// defineFrameworkPlugin refuses this at load time: the module throws when required.
export const plugin = defineFrameworkPlugin({
  id: 'fixture-old',
  apiVersion: 0,
  framework: { name: 'fixture-old' },
  defaultPort: 0,
  module: FixtureModule,
  scheduler: FixtureScheduler,
});
