import { defineFrameworkPlugin } from '@pando/sdk';
import { somethingElseEntirely } from './good-plugin.fixture';

/** A second valid plugin, loadable as a CommonJS-style `module.exports = plugin`. */
module.exports = defineFrameworkPlugin({ ...somethingElseEntirely, id: 'fixture-other', framework: { name: 'fixture-other' } });
