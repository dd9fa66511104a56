import { ConflictError, NotFoundError } from '@pando/common';
import type { ExecutorPlugin } from './executor.contract';

/** The agent's catalog of executor plugins: explicit registration, duplicates refused. */
export class ExecutorRegistry {
  private readonly plugins = new Map<string, ExecutorPlugin>();

  register(plugin: ExecutorPlugin): void {
    if (this.plugins.has(plugin.id)) throw new ConflictError(`executor plugin '${plugin.id}' is already registered`);
    this.plugins.set(plugin.id, plugin);
  }

  get(id: string): ExecutorPlugin {
    const plugin = this.plugins.get(id);
    if (!plugin) {
      throw new NotFoundError(`unknown executor '${id}' (known: ${[...this.plugins.keys()].join(', ') || 'none'})`);
    }
    return plugin;
  }

  ids(): string[] {
    return [...this.plugins.keys()];
  }
}
