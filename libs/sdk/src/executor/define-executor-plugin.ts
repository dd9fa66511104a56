import { InputError } from '@pando/common';
import { EXECUTOR_API_VERSION, type ExecutorPlugin } from './executor.contract';

const KEBAB_CASE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/**
 * Declares an executor plugin. Validates the id and apiVersion at definition time so a bad
 * plugin fails when it is loaded, with a message naming it, not when a task first uses it.
 */
export function defineExecutorPlugin(plugin: ExecutorPlugin): ExecutorPlugin {
  checkPluginHeader('executor', plugin.id, plugin.apiVersion, EXECUTOR_API_VERSION);
  if (typeof plugin.create !== 'function') {
    throw new InputError(`executor plugin '${plugin.id}': create must be a function`);
  }
  return Object.freeze({ ...plugin });
}

/** Shared by executor and framework plugin definitions. */
export function checkPluginHeader(kind: string, id: unknown, apiVersion: unknown, expected: number): void {
  if (typeof id !== 'string' || !KEBAB_CASE.test(id)) {
    throw new InputError(`${kind} plugin id '${String(id)}' must be kebab-case (like 'docker' or 'my-plugin')`);
  }
  if (apiVersion !== expected) {
    throw new InputError(
      `${kind} plugin '${id}' was built for apiVersion ${String(apiVersion)}, but this Pando supports apiVersion ${expected}`,
    );
  }
}
