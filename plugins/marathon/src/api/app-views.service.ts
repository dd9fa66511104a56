import { Inject, Injectable } from '@nestjs/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';
import type { AppDefinition } from '../app.types';
import { renderApp, renderDeployment, renderTaskList, resolveAppEmbed, type AppEmbed, type AppStatus } from '../marathon-json.view';
import { renderGroup, renderQueue, type QueueItem } from '../marathon-status.view';
import { InstanceKeeper } from '../scheduler/instance-keeper.service';
import { ReadinessChecker } from '../scheduler/readiness-checker.service';
import { AppStore } from '../state/app-store.service';
import { DeploymentRegistry } from '../state/deployment-registry.service';
import { TaskTracker, type TrackedTask } from '../state/task-tracker.service';
import { matchesLabelSelector, parseLabelSelector } from './label-selector';

type Json = Record<string, unknown>;

export interface AppFilters {
  id?: string;
  cmd?: string;
  label?: string;
}

/**
 * Marathon's JSON views of the plugin's state, for the controllers: apps with their embeds,
 * tasks, deployments, the queue and groups. Reads memory only.
 */
@Injectable()
export class AppViews {
  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext,
    private readonly apps: AppStore,
    private readonly tracker: TaskTracker,
    private readonly registry: DeploymentRegistry,
    private readonly keeper: InstanceKeeper,
    private readonly readiness: ReadinessChecker,
  ) {}

  status(app: AppDefinition): AppStatus {
    const status: AppStatus = { tasks: this.tracker.tasksOf(app.id), deploymentIds: this.registry.lockedBy(app.id) };
    const failure = this.apps.lastFailure(app.id);
    if (failure) status.lastTaskFailure = failure;
    const readiness = this.readiness.resultsOf(app.id);
    if (readiness.length > 0) status.readinessCheckResults = readiness;
    return status;
  }

  /** `GET /v2/apps`: `id` and `cmd` match substrings, `label` is a Marathon label selector. */
  appList(filters: AppFilters, embed: string | string[] | undefined): Json {
    const selector = filters.label !== undefined ? parseLabelSelector(filters.label) : undefined;
    const resolved = resolveAppEmbed(embed, 'list');
    const apps = this.apps.all().filter((app) => {
      if (filters.id !== undefined && !app.id.includes(filters.id)) return false;
      if (filters.cmd !== undefined && !(app.cmd ?? '').includes(filters.cmd)) return false;
      return !selector || matchesLabelSelector(selector, app.labels);
    });
    return { apps: apps.map((app) => renderApp(app, this.status(app), resolved)) };
  }

  app(app: AppDefinition, embed: string | string[] | undefined): Json {
    return renderApp(app, this.status(app), resolveAppEmbed(embed, 'single'));
  }

  appOnly(app: AppDefinition, embeds: ReadonlySet<AppEmbed> = new Set()): Json {
    return renderApp(app, this.status(app), embeds);
  }

  tasks(tasks: readonly TrackedTask[]): Json {
    return renderTaskList(tasks, new Map(this.apps.all().map((a) => [a.id, a])));
  }

  deployments(): Json[] {
    return this.registry.all().map(({ record }) => {
      const current = record.steps[record.currentStep - 1]?.actions ?? [];
      return renderDeployment(record, current.flatMap((a) => this.readiness.resultsOf(a.app)));
    });
  }

  queue(embedLastUnusedOffers: boolean): Json {
    const now = this.context.clock.now();
    const items: QueueItem[] = this.keeper.waiting().map(({ app, demand }) => ({ app, count: demand.count, snapshot: this.keeper.launchQueue.snapshot(app, now) }));
    return renderQueue(items, { embedLastUnusedOffers });
  }

  /** `GET /v2/groups[/{id}]`, undefined for an unknown group. */
  group(groupId: string, embed: string | string[] | undefined): Json | undefined {
    const values = embed === undefined ? [] : Array.isArray(embed) ? embed : [embed];
    const groupEmbeds = values.filter((v) => v.startsWith('group.'));
    const embedApps = groupEmbeds.length === 0 || groupEmbeds.some((v) => v === 'group.apps' || v.startsWith('group.apps.'));
    const embedGroups = groupEmbeds.length === 0 || groupEmbeds.includes('group.groups');
    const appEmbeds = new Set<AppEmbed>();
    for (const value of groupEmbeds) {
      const key = value.slice('group.apps.'.length);
      if (value.startsWith('group.apps.')) for (const e of resolveAppEmbed(`apps.${key}`, 'list')) appEmbeds.add(e);
    }
    const entries = this.apps.all().map((app) => ({ app, status: this.status(app) }));
    return renderGroup(groupId, entries, { embedApps, embedGroups, appEmbed: appEmbeds });
  }
}
