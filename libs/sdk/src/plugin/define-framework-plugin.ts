import { InputError } from '@pando/common';
import { checkPluginHeader } from '../executor/define-executor-plugin';
import { FRAMEWORK_PLUGIN_API_VERSION, type FrameworkPlugin } from './framework-plugin.contract';

const PLUGIN_MARK = Symbol.for('pando.framework-plugin');

/**
 * Declares a framework plugin (bundled or from an npm package alike). Validates it at once so a
 * bad plugin fails when it is loaded, naming the plugin and the problem.
 */
export function defineFrameworkPlugin(plugin: FrameworkPlugin): FrameworkPlugin {
  checkPluginHeader('framework', plugin.id, plugin.apiVersion, FRAMEWORK_PLUGIN_API_VERSION);
  const problems: string[] = [];
  if (!plugin.framework || typeof plugin.framework.name !== 'string') problems.push('framework.name is required');
  if (!Number.isInteger(plugin.defaultPort) || plugin.defaultPort < 0 || plugin.defaultPort > 65535) problems.push('defaultPort must be a port number');
  if (typeof plugin.module !== 'function') problems.push('module must be a Nest module class');
  if (typeof plugin.scheduler !== 'function') problems.push('scheduler must be a provider class implementing Scheduler');
  if (problems.length > 0) throw new InputError(`framework plugin '${plugin.id}': ${problems.join('; ')}`, problems);
  return Object.freeze(Object.assign({ [PLUGIN_MARK]: true }, plugin));
}

/** True for a value made by defineFrameworkPlugin (how the host finds plugins in a module's exports). */
export function isFrameworkPlugin(value: unknown): value is FrameworkPlugin {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_MARK] === true;
}
