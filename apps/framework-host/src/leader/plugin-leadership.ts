import type { RequestListener } from 'node:http';
import type { NatsConnection } from '@nats-io/transport-node';
import { describeError, type Clock, type Logger } from '@pando/common';
import { SchedulerDriver, type FrameworkPlugin, type FrameworkPluginContext, type PluginStore } from '@pando/sdk';
import { createPluginApp, type PluginApp } from './plugin-app.factory';
import { SchedulerRelay } from './scheduler.relay';

/** Where the host keeps the plugin's framework id in the plugin's own store. */
export const FRAMEWORK_ID_KEY = '_pando.framework-id';
const PERSIST_ATTEMPTS = 5;

export interface LeadershipSettings {
  plugin: FrameworkPlugin;
  nc: NatsConnection;
  store: PluginStore;
  log: Logger;
  clock: Clock;
  options: Readonly<Record<string, string>>;
  http: { port: number; advertisedUrl: string };
  advertiseHost: string;
  /** Leadership cannot go on (framework refused, id not persisted): the worker must exit. */
  onFatal(reason: string): void;
}

/**
 * What this host does while it leads a plugin: builds the context (driver, store, logger, clock,
 * options, HTTP), the plugin's Nest app around it, then starts the driver with the framework id
 * kept in the plugin's store, so a restarted or failed-over plugin resumes the same framework
 * (its tasks keep running). One per worker process: losing the lease ends the process.
 */
export class PluginLeadership {
  private pluginApp: PluginApp | undefined;
  private driver: SchedulerDriver | undefined;
  private persistedId: string | undefined;

  constructor(private readonly settings: LeadershipSettings) {}

  /** The app's request handler once it is initialised. */
  get handler(): RequestListener | undefined {
    return this.pluginApp?.handler;
  }

  get frameworkId(): string | undefined {
    return this.driver?.frameworkId;
  }

  get driverState(): string | undefined {
    return this.driver?.state;
  }

  async start(): Promise<void> {
    const { plugin, store, log, clock, options, http, advertiseHost } = this.settings;
    const stored = await store.get<string>(FRAMEWORK_ID_KEY);
    this.persistedId = typeof stored?.value === 'string' ? stored.value : undefined;
    const relay = new SchedulerRelay({ subscribed: (info) => this.persist(info.frameworkId), error: (message) => this.refused(message) });
    const id = this.persistedId ?? plugin.framework.id;
    const frameworkInfo = { hostname: advertiseHost, webuiUrl: http.advertisedUrl, ...plugin.framework, ...(id ? { id } : {}) };
    const driver = new SchedulerDriver({ nc: this.settings.nc, frameworkInfo, scheduler: relay, log: log.child({ component: 'scheduler-driver' }), clock });
    this.driver = driver;
    const context: FrameworkPluginContext = Object.freeze({ pluginId: plugin.id, driver, store, log, clock, options, http: Object.freeze({ ...http }) });
    const pluginApp = await createPluginApp(plugin, context);
    relay.attach(pluginApp.scheduler);
    this.pluginApp = pluginApp;
    log.info({ frameworkId: id ?? null }, id ? `plugin app ready; resuming framework ${id}` : 'plugin app ready; registering a new framework');
    driver.start().then(
      (info) => log.info({ frameworkId: info.frameworkId, epoch: info.epoch }, `framework '${frameworkInfo.name}' subscribed as ${info.frameworkId}`),
      // A refusal reaches relay.error (which ends the worker); a stop needs nothing.
      (err: unknown) => log.debug({ err: describeError(err) }, 'driver start ended'),
    );
  }

  /** Graceful: the framework stays registered (failover), so the next leader resumes it. */
  async stop(): Promise<void> {
    await this.driver?.stop({ failover: true }).catch(() => undefined);
    await this.pluginApp?.app.close().catch((err: unknown) => this.settings.log.warn({ err: describeError(err) }, 'closing the plugin app failed'));
  }

  /** Keeps the framework id in the store before the plugin hears `subscribed`. */
  private async persist(frameworkId: string): Promise<void> {
    if (frameworkId === this.persistedId) return;
    const { store, log, clock } = this.settings;
    for (let attempt = 1; ; attempt++) {
      try {
        await store.put(FRAMEWORK_ID_KEY, frameworkId);
        this.persistedId = frameworkId;
        log.info({ frameworkId }, `persisted framework id ${frameworkId}`);
        return;
      } catch (err) {
        if (attempt >= PERSIST_ATTEMPTS) {
          // Without the id a restart would register a second framework and orphan this one's tasks.
          this.settings.onFatal(`cannot persist framework id ${frameworkId}: ${describeError(err)}`);
          return;
        }
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }

  /**
   * The master refused the framework id or removed the framework (failover timeout expired,
   * torn down): forget the id, so the restarted worker registers a new framework.
   */
  private async refused(message: string): Promise<void> {
    const { store, log } = this.settings;
    if (this.persistedId) {
      await store.delete(FRAMEWORK_ID_KEY).catch((err: unknown) => log.error({ err: describeError(err) }, 'cannot forget the refused framework id'));
    }
    this.settings.onFatal(`the master refused or removed the framework: ${message}`);
  }
}
