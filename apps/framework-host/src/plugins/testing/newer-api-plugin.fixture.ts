import { FixtureModule, FixtureScheduler } from './good-plugin.fixture';

/**
 * What a plugin built against a newer SDK looks like to this host: its own copy of
 * defineFrameworkPlugin marked it (the mark is a global symbol) and accepted apiVersion 2.
 */
export const plugin = Object.freeze({
  [Symbol.for('pando.framework-plugin')]: true,
  id: 'fixture-newer',
  apiVersion: 2,
  framework: { name: 'fixture-newer' },
  defaultPort: 0,
  module: FixtureModule,
  scheduler: FixtureScheduler,
});
