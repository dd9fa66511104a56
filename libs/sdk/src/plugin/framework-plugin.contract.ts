import type { Type } from '@nestjs/common';
import type { Clock, Logger } from '@pando/common';
import type { FrameworkInfoInput } from '@pando/protocol';
import type { SchedulerDriver } from '../framework/scheduler-driver';
import type { Scheduler } from '../framework/scheduler.interface';
import type { PluginStore } from './plugin-store.interface';

/** The framework plugin contract version. A plugin built for another one is refused at load time. */
export const FRAMEWORK_PLUGIN_API_VERSION = 1;

/**
 * Nest injection token of the FrameworkPluginContext: `@Inject(FRAMEWORK_PLUGIN_CONTEXT)` in any
 * provider or controller of the plugin's module.
 */
export const FRAMEWORK_PLUGIN_CONTEXT = 'PANDO_FRAMEWORK_PLUGIN_CONTEXT';

/**
 * What a plugin is given by the framework host. One context per plugin, created when this host
 * starts leading the plugin (a standby host does not create it).
 */
export interface FrameworkPluginContext {
  pluginId: string;
  /**
   * The plugin's scheduler driver. The host starts it (SUBSCRIBE) after the plugin's Nest module
   * has initialised (its OnModuleInit/OnApplicationBootstrap hooks ran, so state is loaded from the
   * store before the first offer arrives), and stops it with failover when the host stops.
   */
  driver: SchedulerDriver;
  /** The plugin's own KV bucket. */
  store: PluginStore;
  log: Logger;
  clock: Clock;
  /** Plugin options (`--plugin-opts <id>.<key>=<value>,...`), by key. Plugins validate their own. */
  options: Readonly<Record<string, string>>;
  /** Where the plugin's HTTP API listens, and the URL other processes reach it at. */
  http: { port: number; advertisedUrl: string };
}

/** A framework plugin: a scheduler plus a Nest module that serves its HTTP API. */
export interface FrameworkPlugin {
  /** kebab-case id: named in PANDO_PLUGINS, names the KV bucket and the leader lease. */
  id: string;
  apiVersion: number;
  /** The framework's info for SUBSCRIBE (the host adds the id it persisted). */
  framework: FrameworkInfoInput;
  /** The HTTP port when none is configured (Marathon 8080, Chronos 4400). */
  defaultPort: number;
  /** The Nest module with the plugin's controllers and providers; the host adds the context provider. */
  module: Type<unknown>;
  /** A provider of `module` implementing Scheduler: the driver delivers offers and updates to it. */
  scheduler: Type<Scheduler>;
}
