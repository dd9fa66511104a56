import { isAbsolute, resolve } from 'node:path';
import { describeError, InputError } from '@pando/common';
import { checkPluginHeader, FRAMEWORK_PLUGIN_API_VERSION, isFrameworkPlugin, type FrameworkPlugin } from '@pando/sdk';
import { BUNDLED_FRAMEWORK_PLUGINS, type BundledPluginLoader } from './bundled-plugin.catalog';

/**
 * Where a plugin comes from, resolved once by the supervisor: workers load the same source again
 * (an absolute module path, so their working directory does not matter).
 */
export type PluginSource = { kind: 'bundled'; id: string } | { kind: 'module'; path: string };

export interface LoadedPlugin {
  /** As written in --plugins. */
  spec: string;
  source: PluginSource;
  plugin: FrameworkPlugin;
}

export interface PluginLoaderSettings {
  /** Paths in --plugins are relative to it; package names are resolved from it first. */
  cwd: string;
  catalog?: Readonly<Record<string, BundledPluginLoader>>;
}

// How the operator names each setting in messages: the flag and its variable (docker-compose sets
// the variables), as readOptions does for a bad value.
const PLUGINS_OPTION = '--plugins / PANDO_PLUGINS';
const PLUGIN_PORTS_OPTION = '--plugin-ports / PANDO_PLUGIN_PORTS';
const PLUGIN_OPTS_OPTION = '--plugin-opts / PANDO_PLUGIN_OPTS';

/** Resolves a --plugins entry to a source without loading it; an InputError when nothing matches. */
export function resolvePluginSource(spec: string, settings: PluginLoaderSettings): PluginSource {
  const catalog = settings.catalog ?? BUNDLED_FRAMEWORK_PLUGINS;
  if (Object.hasOwn(catalog, spec)) return { kind: 'bundled', id: spec };
  if (isPathSpec(spec)) {
    const absolute = isAbsolute(spec) ? spec : resolve(settings.cwd, spec);
    try {
      return { kind: 'module', path: require.resolve(absolute) };
    } catch {
      throw new InputError(`plugin '${spec}' in ${PLUGINS_OPTION}: no such file or module (looked for ${absolute})`);
    }
  }
  try {
    return { kind: 'module', path: require.resolve(spec, { paths: [settings.cwd] }) };
  } catch {
    // Packages installed next to the host itself rather than in the working directory.
  }
  try {
    return { kind: 'module', path: require.resolve(spec) };
  } catch {
    const bundled = Object.keys(catalog).join(', ') || 'none';
    throw new InputError(`unknown plugin '${spec}' in ${PLUGINS_OPTION}: it is not a bundled plugin (${bundled}), and no package of that name is installed (looked from ${settings.cwd}); name a file with a path starting with ./ or /`);
  }
}

/**
 * Loads a plugin from its source and checks it: the module must export exactly one value made by
 * defineFrameworkPlugin (under any export name), built for this host's apiVersion. The check is
 * repeated here because a third-party package may bring its own copy of the SDK, whose
 * defineFrameworkPlugin checked against *its* version. Errors name the plugin and the problem.
 */
export async function loadPluginFrom(source: PluginSource, spec: string, catalog = BUNDLED_FRAMEWORK_PLUGINS): Promise<FrameworkPlugin> {
  const exports = await importSource(source, spec, catalog);
  const found = pluginsIn(exports);
  if (found.length === 0) {
    if (source.kind === 'bundled') throw new InputError(`bundled plugin '${source.id}' is not available in this build (its package exports no framework plugin yet)`);
    throw new InputError(`plugin '${spec}' (${source.path}) exports no framework plugin: export the value returned by defineFrameworkPlugin(...) from @pando/sdk`);
  }
  if (found.length > 1) {
    throw new InputError(`plugin '${spec}' exports ${found.length} framework plugins (${found.map((p) => `'${p.id}'`).join(', ')}): a module must export exactly one`);
  }
  const plugin = found[0];
  try {
    checkPluginHeader('framework', plugin.id, plugin.apiVersion, FRAMEWORK_PLUGIN_API_VERSION);
  } catch (err) {
    throw new InputError(`plugin '${spec}' cannot be used: ${describeError(err)}`);
  }
  if (source.kind === 'bundled' && plugin.id !== source.id) {
    throw new InputError(`bundled plugin '${source.id}' declares the id '${plugin.id}': the catalog and the plugin must agree`);
  }
  return plugin;
}

/** Resolves and loads one --plugins entry. */
export async function loadPlugin(spec: string, settings: PluginLoaderSettings): Promise<LoadedPlugin> {
  const source = resolvePluginSource(spec, settings);
  const plugin = await loadPluginFrom(source, spec, settings.catalog ?? BUNDLED_FRAMEWORK_PLUGINS);
  return { spec, source, plugin };
}

/**
 * Loads every plugin named in --plugins and checks them together (ids unique, ports distinct,
 * --plugin-ports and --plugin-opts naming loaded plugins). Reports every problem at once: an
 * InputError whose details name each plugin and what is wrong with it.
 */
export async function loadPlugins(
  specs: readonly string[],
  settings: PluginLoaderSettings & { pluginPorts?: Record<string, number>; pluginOptions?: Record<string, unknown> },
): Promise<LoadedPlugin[]> {
  const problems: string[] = [];
  const loaded: LoadedPlugin[] = [];
  if (specs.length === 0) problems.push(`no plugins to run: name some with ${PLUGINS_OPTION}`);
  for (const spec of specs) {
    try {
      loaded.push(await loadPlugin(spec, settings));
    } catch (err) {
      problems.push(describeError(err));
    }
  }
  problems.push(...crossCheck(loaded, settings.pluginPorts ?? {}, settings.pluginOptions ?? {}));
  if (problems.length > 0) throw new InputError(`cannot start the framework host: ${problems.join('; ')}`, problems);
  return loaded;
}

/** Whether each bundled plugin can be loaded in this build, and why not (for `pando dev`). */
export async function bundledPluginAvailability(
  catalog: Readonly<Record<string, BundledPluginLoader>> = BUNDLED_FRAMEWORK_PLUGINS,
): Promise<Array<{ id: string; available: boolean; defaultPort?: number; problem?: string }>> {
  const result: Array<{ id: string; available: boolean; defaultPort?: number; problem?: string }> = [];
  for (const id of Object.keys(catalog)) {
    try {
      const plugin = await loadPluginFrom({ kind: 'bundled', id }, id, catalog);
      result.push({ id, available: true, defaultPort: plugin.defaultPort });
    } catch (err) {
      result.push({ id, available: false, problem: describeError(err) });
    }
  }
  return result;
}

/** The port a plugin listens on: configured, or its default. */
export function pluginPort(plugin: FrameworkPlugin, pluginPorts: Record<string, number>): number {
  return pluginPorts[plugin.id] ?? plugin.defaultPort;
}

function crossCheck(loaded: LoadedPlugin[], pluginPorts: Record<string, number>, pluginOptions: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const byId = new Map<string, LoadedPlugin>();
  const byPort = new Map<number, string>();
  for (const entry of loaded) {
    const { id } = entry.plugin;
    const other = byId.get(id);
    if (other) {
      problems.push(`plugin id '${id}' is loaded twice ('${other.spec}' and '${entry.spec}')`);
      continue;
    }
    byId.set(id, entry);
    const port = pluginPort(entry.plugin, pluginPorts);
    const clash = byPort.get(port);
    // Port 0 (any free port) never clashes.
    if (port !== 0 && clash) problems.push(`plugins '${clash}' and '${id}' both listen on port ${port}: set ${PLUGIN_PORTS_OPTION}`);
    byPort.set(port, id);
  }
  if (loaded.length > 0 || Object.keys(pluginPorts).length > 0) {
    for (const id of Object.keys(pluginPorts)) if (!byId.has(id)) problems.push(`${PLUGIN_PORTS_OPTION} names '${id}', which is not a loaded plugin`);
    for (const id of Object.keys(pluginOptions)) if (!byId.has(id)) problems.push(`${PLUGIN_OPTS_OPTION} names '${id}', which is not a loaded plugin`);
  }
  return problems;
}

function isPathSpec(spec: string): boolean {
  return spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..' || isAbsolute(spec);
}

async function importSource(source: PluginSource, spec: string, catalog: Readonly<Record<string, BundledPluginLoader>>): Promise<unknown> {
  if (source.kind === 'bundled') {
    const loader = catalog[source.id];
    if (!loader) throw new InputError(`bundled plugin '${source.id}' is not in this build's catalog`);
    try {
      return await loader();
    } catch (err) {
      throw new InputError(`bundled plugin '${source.id}' failed to load: ${describeError(err)}`);
    }
  }
  try {
    // Plugins are CommonJS (or ESM that Node can require); their own errors surface here.
    return require(source.path) as unknown;
  } catch (err) {
    throw new InputError(`plugin '${spec}' failed to load from ${source.path}: ${describeError(err)}`);
  }
}

/** Every distinct plugin definition among a module's exports (`module.exports = plugin` too). */
function pluginsIn(exports: unknown): FrameworkPlugin[] {
  const found = new Set<FrameworkPlugin>();
  const visit = (value: unknown): void => {
    if (isFrameworkPlugin(value)) found.add(value);
  };
  visit(exports);
  if (typeof exports === 'object' && exports !== null) {
    for (const value of Object.values(exports)) visit(value);
    const fallback = (exports as { default?: unknown }).default;
    if (typeof fallback === 'object' && fallback !== null) for (const value of Object.values(fallback)) visit(value);
  }
  return [...found];
}
