import { join } from 'node:path';
import { InputError } from '@pando/common';
import { bundledPluginAvailability, loadPlugin, loadPlugins } from './plugin-loader';

const fixtures = join(__dirname, 'testing');
const cwd = fixtures;
/** A catalog like the real one while marathon and chronos export no plugin definition yet. */
const catalog = {
  marathon: async () => ({ parseApp: () => undefined }),
  chronos: async () => {
    throw new Error('Cannot find module cron-parser');
  },
  'fixture-good': async () => import('./testing/good-plugin.fixture') as Promise<Record<string, unknown>>,
};

async function problemsOf(specs: string[], extra: object = {}): Promise<string[]> {
  try {
    await loadPlugins(specs, { cwd, catalog, ...extra });
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as InputError).details;
  }
  throw new Error('expected loadPlugins to fail');
}

describe('plugin loader', () => {
  it('loads a plugin by path, whatever the name of its export', async () => {
    const loaded = await loadPlugin('./good-plugin.fixture', { cwd, catalog });
    expect(loaded.plugin.id).toBe('fixture-good');
    expect(loaded.source).toEqual({ kind: 'module', path: join(fixtures, 'good-plugin.fixture.ts') });
  });

  it('refuses an unknown plugin, naming it, the flag and variable it came from, and the bundled ones', async () => {
    expect(await problemsOf(['no-such-plugin'])).toEqual([
      expect.stringMatching(/^unknown plugin 'no-such-plugin' in --plugins \/ PANDO_PLUGINS: it is not a bundled plugin \(marathon, chronos, fixture-good\), and no package of that name is installed/),
    ]);
    expect(await problemsOf(['./missing'])).toEqual([`plugin './missing' in --plugins / PANDO_PLUGINS: no such file or module (looked for ${join(cwd, 'missing')})`]);
  });

  it('says a bundled plugin without a definition is not available in this build', async () => {
    expect(await problemsOf(['marathon', 'chronos'])).toEqual([
      "bundled plugin 'marathon' is not available in this build (its package exports no framework plugin yet)",
      "bundled plugin 'chronos' failed to load: Cannot find module cron-parser",
    ]);
  });

  it('refuses a plugin built for another apiVersion, even when its own SDK accepted it', async () => {
    expect(await problemsOf(['./newer-api-plugin.fixture'])).toEqual([
      "plugin './newer-api-plugin.fixture' cannot be used: framework plugin 'fixture-newer' was built for apiVersion 2, but this Pando supports apiVersion 1",
    ]);
    expect(await problemsOf(['./bad-define-plugin.fixture'])).toEqual([
      expect.stringMatching(/^plugin '.\/bad-define-plugin.fixture' failed to load from .*bad-define-plugin.fixture.ts: framework plugin 'fixture-old' was built for apiVersion 0, but this Pando supports apiVersion 1$/),
    ]);
  });

  it('reports a module that throws while loading with its own message', async () => {
    expect(await problemsOf(['./throwing-plugin.fixture'])).toEqual([
      expect.stringMatching(/^plugin '.\/throwing-plugin.fixture' failed to load from .*: cannot find the configuration file \/etc\/nowhere.json$/),
    ]);
  });

  it('wants exactly one plugin definition among the exports', async () => {
    expect(await problemsOf(['./no-plugin.fixture', './two-plugins.fixture'])).toEqual([
      expect.stringMatching(/^plugin '.\/no-plugin.fixture' \(.*\) exports no framework plugin: export the value returned by defineFrameworkPlugin/),
      "plugin './two-plugins.fixture' exports 2 framework plugins ('fixture-good', 'fixture-second'): a module must export exactly one",
    ]);
  });

  it('checks the plugins together: duplicate ids, clashing ports, options for unknown plugins', async () => {
    const problems = await problemsOf(['./good-plugin.fixture', 'fixture-good', './two-plugins.fixture', './other-plugin.fixture'], {
      pluginPorts: { 'fixture-good': 9000, 'fixture-other': 9000, nope: 1 },
      pluginOptions: { other: {} },
    });
    expect(problems).toEqual([
      "plugin './two-plugins.fixture' exports 2 framework plugins ('fixture-good', 'fixture-second'): a module must export exactly one",
      "plugin id 'fixture-good' is loaded twice ('./good-plugin.fixture' and 'fixture-good')",
      "plugins 'fixture-good' and 'fixture-other' both listen on port 9000: set --plugin-ports / PANDO_PLUGIN_PORTS",
      "--plugin-ports / PANDO_PLUGIN_PORTS names 'nope', which is not a loaded plugin",
      "--plugin-opts / PANDO_PLUGIN_OPTS names 'other', which is not a loaded plugin",
    ]);
  });

  it('requires at least one plugin', async () => {
    expect(await problemsOf([])).toEqual(['no plugins to run: name some with --plugins / PANDO_PLUGINS']);
  });

  it('lists which bundled plugins this build can run', async () => {
    expect(await bundledPluginAvailability(catalog)).toEqual([
      { id: 'marathon', available: false, problem: "bundled plugin 'marathon' is not available in this build (its package exports no framework plugin yet)" },
      { id: 'chronos', available: false, problem: "bundled plugin 'chronos' failed to load: Cannot find module cron-parser" },
      { id: 'fixture-good', available: true, defaultPort: 0 },
    ]);
  });
});
