import { InputError, type NatsSettings } from '@pando/common';
import type { PluginSource } from '../plugins/plugin-loader';

/** The environment variable a worker reads its configuration from (JSON, set by the supervisor). */
export const WORKER_CONFIG_ENV = 'PANDO_FRAMEWORK_HOST_WORKER';

/** Everything one plugin worker needs, resolved by the supervisor (paths absolute, defaults applied). */
export interface WorkerConfig {
  pluginId: string;
  /** As written in --plugins (for messages). */
  spec: string;
  source: PluginSource;
  port: number;
  httpHost: string;
  advertiseHost: string;
  kvReplicas: number;
  leaseTtlMs: number;
  hostId: string;
  options: Record<string, string>;
  nats: NatsSettings;
}

export function encodeWorkerConfig(config: WorkerConfig): string {
  return JSON.stringify(config);
}

/** Reads the worker's configuration; an InputError when it was not started by a framework host. */
export function readWorkerConfig(pluginId: string | undefined, env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const raw = env[WORKER_CONFIG_ENV];
  if (!raw) throw new InputError(`${WORKER_CONFIG_ENV} is not set: plugin workers are started by the framework host (node dist/apps/framework-host/src/main.js)`);
  let config: WorkerConfig;
  try {
    config = JSON.parse(raw) as WorkerConfig;
  } catch (err) {
    throw new InputError(`${WORKER_CONFIG_ENV} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (pluginId && config.pluginId !== pluginId) throw new InputError(`worker started for plugin '${pluginId}' with the configuration of '${config.pluginId}'`);
  return config;
}
