import { Inject, Injectable } from '@nestjs/common';
import { describeError } from '@pando/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext, type PluginStore } from '@pando/sdk';
import type { AppDefinition } from '../app.types';
import type { TaskFailure } from '../app-task';
import type { Deployment } from '../deployment.planner';
import { MARATHON_OPTIONS } from '../marathon.tokens';
import type { MarathonOptions } from '../marathon.options';
import { appKey, deploymentKey, failureKey, familyPrefix, keyParts, versionKey, versionPrefix } from './store-keys';

/** A deployment as stored: the plan, where it got to, and what kind of deployment it is. */
export interface StoredDeployment extends Deployment {
  startedAt: number;
  /** Set on the rollback of a failed or canceled deployment; a rollback is never rolled back. */
  rollbackOf?: string;
}

/** One atomic-looking change of apps (see commit for the order of writes). */
export interface AppCommit {
  deployment?: StoredDeployment;
  put?: readonly AppDefinition[];
  remove?: readonly string[];
}

const FAILURE_WRITE_DELAY_MS = 1000;

/**
 * Apps, their versions, deployments and last failures: in memory for reads, in the plugin's
 * KV bucket for failover. Reads never touch the store (except old versions, fetched on demand).
 * Callers serialise changes (AppCommands holds a lock), so no compare-and-set is needed: one
 * framework host leads the plugin at a time.
 */
@Injectable()
export class AppStore {
  private readonly apps = new Map<string, AppDefinition>();
  /** Version ids per app, oldest first. */
  private readonly versions = new Map<string, string[]>();
  private readonly failures = new Map<string, TaskFailure>();
  private readonly failureWrites = new Map<string, ReturnType<FrameworkPluginContext['clock']['setTimeout']>>();
  private readonly store: PluginStore;

  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext,
    @Inject(MARATHON_OPTIONS) private readonly options: MarathonOptions,
  ) {
    this.store = context.store;
  }

  /** Loads apps, version ids, failures and deployments; returns the deployments in progress. */
  async load(): Promise<StoredDeployment[]> {
    const [apps, versionKeys, failures, deployments] = await Promise.all([
      this.store.list<AppDefinition>(familyPrefix('apps')),
      this.store.keys(familyPrefix('versions')),
      this.store.list<TaskFailure>(familyPrefix('failures')),
      this.store.list<StoredDeployment>(familyPrefix('deployments')),
    ]);
    for (const { value } of apps) this.apps.set(value.id, value);
    for (const key of versionKeys) {
      const [appId, version] = keyParts(key);
      if (appId !== undefined && version !== undefined) (this.versions.get(appId) ?? this.newVersionList(appId)).push(version);
    }
    for (const list of this.versions.values()) list.sort();
    for (const { value } of failures) this.failures.set(value.appId, value);
    return deployments.map((d) => d.value).sort((a, b) => a.startedAt - b.startedAt);
  }

  get(appId: string): AppDefinition | undefined {
    return this.apps.get(appId);
  }

  has(appId: string): boolean {
    return this.apps.has(appId);
  }

  all(): AppDefinition[] {
    return [...this.apps.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  count(): number {
    return this.apps.size;
  }

  versionIds(appId: string): string[] {
    return [...(this.versions.get(appId) ?? [])];
  }

  /** One stored version of an app (the current one without a store read). */
  async version(appId: string, version: string): Promise<AppDefinition | undefined> {
    const current = this.apps.get(appId);
    if (current?.version === version) return current;
    if (!this.versions.get(appId)?.includes(version)) return undefined;
    return (await this.store.get<AppDefinition>(versionKey(appId, version)))?.value;
  }

  lastFailure(appId: string): TaskFailure | undefined {
    return this.failures.get(appId);
  }

  /**
   * Applies a change. Writes the deployment first: it holds the target apps, so a host that
   * dies half-way through can finish the change from it on recovery. Memory is updated only
   * after the store accepted the writes, so a refused write changes nothing visible.
   */
  async commit(change: AppCommit): Promise<void> {
    if (change.deployment) await this.store.put(deploymentKey(change.deployment.id), change.deployment);
    const puts = change.put ?? [];
    await Promise.all(puts.flatMap((app) => [this.store.put(versionKey(app.id, app.version), app), this.store.put(appKey(app.id), app)]));
    for (const app of puts) this.remember(app);
    for (const appId of change.remove ?? []) await this.removeApp(appId);
    await Promise.all(puts.map((app) => this.trimVersions(app.id)));
  }

  /** Adopts apps from a deployment record found on recovery, when the commit was cut short. */
  async repairFrom(deployment: StoredDeployment): Promise<void> {
    const stale = Object.values(deployment.target).filter((app) => this.apps.get(app.id)?.version !== app.version && !this.isNewer(app.id, app.version));
    const removed = Object.keys(deployment.original).filter((id) => !deployment.target[id] && this.apps.has(id));
    if (stale.length > 0 || removed.length > 0) await this.commit({ put: stale, remove: removed });
  }

  async putDeployment(deployment: StoredDeployment): Promise<void> {
    await this.store.put(deploymentKey(deployment.id), deployment);
  }

  async deleteDeployment(id: string): Promise<void> {
    await this.store.delete(deploymentKey(id));
  }

  /** Records the app's last failure; writes are coalesced (a crash loop writes about once a second). */
  recordFailure(failure: TaskFailure): void {
    this.failures.set(failure.appId, failure);
    if (this.failureWrites.has(failure.appId)) return;
    const handle = this.context.clock.setTimeout(() => {
      this.failureWrites.delete(failure.appId);
      const latest = this.failures.get(failure.appId);
      if (!latest || !this.apps.has(failure.appId)) return;
      this.store.put(failureKey(failure.appId), latest).catch((err: unknown) => {
        this.context.log.warn({ appId: failure.appId, err: describeError(err) }, `failed to store the last task failure of '${failure.appId}'`);
      });
    }, FAILURE_WRITE_DELAY_MS);
    handle.unref?.();
  }

  /** Stops pending timers (module destroy). */
  close(): void {
    for (const handle of this.failureWrites.values()) this.context.clock.clearTimeout(handle);
    this.failureWrites.clear();
  }

  private isNewer(appId: string, version: string): boolean {
    const current = this.apps.get(appId);
    return current !== undefined && current.version > version;
  }

  private remember(app: AppDefinition): void {
    this.apps.set(app.id, app);
    const list = this.versions.get(app.id) ?? this.newVersionList(app.id);
    if (!list.includes(app.version)) {
      list.push(app.version);
      list.sort();
    }
  }

  private newVersionList(appId: string): string[] {
    const list: string[] = [];
    this.versions.set(appId, list);
    return list;
  }

  /** Marathon forgets an app's versions with the app. */
  private async removeApp(appId: string): Promise<void> {
    const versions = this.versions.get(appId) ?? [];
    await this.store.delete(appKey(appId));
    this.apps.delete(appId);
    this.versions.delete(appId);
    this.failures.delete(appId);
    const keys = new Set([...versions.map((v) => versionKey(appId, v)), ...(await this.store.keys(versionPrefix(appId)))]);
    await Promise.all([...keys].map((k) => this.store.delete(k)));
    await this.store.delete(failureKey(appId));
  }

  private async trimVersions(appId: string): Promise<void> {
    const list = this.versions.get(appId);
    if (!list || list.length <= this.options.maxVersions) return;
    const dropped = list.splice(0, list.length - this.options.maxVersions);
    await Promise.all(dropped.map((v) => this.store.delete(versionKey(appId, v)))).catch((err: unknown) => {
      this.context.log.warn({ appId, err: describeError(err) }, `failed to drop old versions of '${appId}'`);
    });
  }
}
