/** Loads a bundled plugin's package and resolves to its exports (searched for a plugin definition). */
export type BundledPluginLoader = () => Promise<Record<string, unknown>>;

/**
 * The framework plugins this build ships, by id. The host reaches bundled plugins only through
 * this map; each is loaded lazily (import on demand), so a host running only Chronos never loads
 * Marathon. A bundled package that does not export a `defineFrameworkPlugin(...)` value yet is
 * reported as "not available in this build" when named in --plugins.
 */
export const BUNDLED_FRAMEWORK_PLUGINS: Readonly<Record<string, BundledPluginLoader>> = Object.freeze({
  marathon: () => import('@pando/plugin-marathon') as Promise<Record<string, unknown>>,
  chronos: () => import('@pando/plugin-chronos') as Promise<Record<string, unknown>>,
});
