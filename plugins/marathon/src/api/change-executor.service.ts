import { Inject, Injectable } from '@nestjs/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';
import type { AppDefinition } from '../app.types';
import { nextVersion } from '../app-update.merge';
import { findDependencyCycle, planDeployment } from '../deployment.planner';
import { apiPostEvent } from '../marathon-events.view';
import { affectedApps } from '../marathon-json.view';
import { MarathonValidationError } from '../marathon-validation.error';
import { isSameOrAncestor, parentId, ROOT_ID } from '../path-id';
import { DeploymentRunner } from '../scheduler/deployment-runner.service';
import { servicePortsOf } from '../service-ports';
import { AppStore, type StoredDeployment } from '../state/app-store.service';
import { DeploymentRegistry } from '../state/deployment-registry.service';
import { EventBus } from '../state/event-bus.service';
import { AppLockedError } from './marathon-http.errors';

/** Who asked for a change, for Marathon's api_post_event. */
export interface RequestOrigin {
  clientIp: string;
  uri: string;
}

export interface ChangeOptions {
  /** Cancel deployments holding the apps instead of refusing with 409. */
  force?: boolean;
  origin?: RequestOrigin;
}

/**
 * Carries out changes of apps, one at a time: checks the whole new state (no app inside another
 * app's path, no dependency cycle), checks the locks held by deployments, plans the deployment,
 * stores it and the apps, and starts it. A refused change stores nothing.
 */
@Injectable()
export class ChangeExecutor {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext,
    private readonly apps: AppStore,
    private readonly registry: DeploymentRegistry,
    private readonly runner: DeploymentRunner,
    private readonly events: EventBus,
  ) {}

  now(): number {
    return this.context.clock.now();
  }

  /** Runs changes one after the other: each sees the state the previous one left. */
  serial<T>(change: () => Promise<T>): Promise<T> {
    const result = this.tail.then(change, change);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Service ports used by apps other than `except`. */
  servicePortsExcept(except: ReadonlySet<string>): Set<number> {
    const used = new Set<number>();
    for (const app of this.apps.all()) if (!except.has(app.id)) for (const port of servicePortsOf(app)) if (port !== 0) used.add(port);
    return used;
  }

  /**
   * Deploys the change from `before` (the apps it touches, as they are) to `after` (as they
   * will be; an app of `before` missing from `after` is deleted). Must run inside serial().
   */
  async deploy(before: readonly AppDefinition[], after: readonly AppDefinition[], options: ChangeOptions = {}): Promise<StoredDeployment> {
    const now = this.now();
    const removed = before.filter((a) => !after.some((b) => b.id === a.id)).map((a) => a.id);
    const beforeById = new Map(before.map((a) => [a.id, a]));
    const put = after.filter((a) => beforeById.get(a.id)?.version !== a.version);
    this.validate(put, new Set(removed));
    const version = newestVersion(put) ?? nextVersion(now);
    const plan = planDeployment({ original: before, target: after, version });
    await this.takeLocks(affectedApps(plan), options.force === true);
    const record: StoredDeployment = { ...plan, currentStep: 1, startedAt: now };
    await this.apps.commit({ ...(record.steps.length > 0 ? { deployment: record } : {}), put, remove: removed });
    if (options.origin) for (const app of put) this.events.publish(apiPostEvent(options.origin.clientIp, options.origin.uri, app, now));
    this.runner.start(record);
    return record;
  }

  /** Cancels the deployments holding these apps (force) or refuses the change (409). */
  private async takeLocks(appIds: readonly string[], force: boolean): Promise<void> {
    const holders = [...new Set(appIds.flatMap((id) => this.registry.lockedBy(id)))];
    if (holders.length === 0) return;
    if (!force) throw new AppLockedError(holders);
    for (const id of holders) await this.runner.cancel(id, false);
  }

  /** The whole tree after the change must hold together; every problem is reported. */
  private validate(changed: readonly AppDefinition[], removed: ReadonlySet<string>): void {
    const all = new Map(this.apps.all().filter((a) => !removed.has(a.id)).map((a) => [a.id, a]));
    for (const app of changed) all.set(app.id, app);
    const problems: Array<{ path: string; errors: string[] }> = [];
    for (const app of changed) {
      const errors = pathConflicts(app.id, all);
      if (errors.length > 0) problems.push({ path: '/id', errors });
    }
    const cycle = findDependencyCycle([...all.values()]);
    if (cycle) problems.push({ path: '/dependencies', errors: [`Dependency graph has cyclic dependencies: ${cycle.join(' -> ')}`] });
    if (problems.length > 0) throw new MarathonValidationError(problems);
  }
}

/** An app may not sit inside another app's path, nor have apps inside its own. */
function pathConflicts(appId: string, all: ReadonlyMap<string, AppDefinition>): string[] {
  const errors: string[] = [];
  for (let group = parentId(appId); group !== ROOT_ID; group = parentId(group)) {
    if (all.has(group)) errors.push(`app '${appId}' cannot be inside app '${group}': '${group}' is an app, not a group`);
  }
  for (const other of all.keys()) {
    if (other !== appId && isSameOrAncestor(appId, other)) {
      errors.push(`app '${appId}' conflicts with app '${other}': '${appId}' is a group`);
      break;
    }
  }
  return errors;
}

function newestVersion(apps: readonly AppDefinition[]): string | undefined {
  let newest: string | undefined;
  for (const app of apps) if (newest === undefined || app.version > newest) newest = app.version;
  return newest;
}
