import { Inject, Injectable } from '@nestjs/common';
import { ConflictError } from '@pando/common';
import type { AppDefinition } from '../app.types';
import { isPlainObject, parseApp } from '../app.schema';
import { applyAppUpdate, createApp, restartApp, scaleApp } from '../app-update.merge';
import { MARATHON_OPTIONS } from '../marathon.tokens';
import { MARATHON_ROLE, type MarathonOptions } from '../marathon.options';
import { MarathonValidationError } from '../marathon-validation.error';
import { resolvePathId } from '../path-id';
import { InstanceKeeper } from '../scheduler/instance-keeper.service';
import { KillQueue } from '../scheduler/kill-queue.service';
import { assignServicePorts } from '../service-ports';
import { AppStore, type StoredDeployment } from '../state/app-store.service';
import { TaskTracker, type TrackedTask } from '../state/task-tracker.service';
import { toPandoTaskId } from '../task-id';
import { ChangeExecutor, type ChangeOptions } from './change-executor.service';
import { appNotFound, taskNotFound } from './marathon-http.errors';

export interface UpdateOptions extends ChangeOptions {
  /** PUT's partialUpdate (Marathon's default true). */
  partialUpdate?: boolean;
}

export interface KillOptions extends ChangeOptions {
  /** Scale the app down by the tasks killed instead of replacing them. */
  scale?: boolean;
}

/** The outcome of killing tasks: the tasks (as they were), and the deployment when scaling. */
export interface KillResult {
  tasks: TrackedTask[];
  deployment?: StoredDeployment;
}

/**
 * The app changes of the `/v2/apps` API: create, update (full, partial, rollback, bulk),
 * delete, restart, and killing tasks with or without scaling. Each runs serially through the
 * ChangeExecutor; invalid input is a MarathonValidationError (422) listing every problem.
 */
@Injectable()
export class AppCommands {
  constructor(
    @Inject(MARATHON_OPTIONS) private readonly options: MarathonOptions,
    private readonly executor: ChangeExecutor,
    private readonly apps: AppStore,
    private readonly tracker: TaskTracker,
    private readonly killer: KillQueue,
    private readonly keeper: InstanceKeeper,
  ) {}

  /** POST /v2/apps. */
  create(body: unknown, options: ChangeOptions = {}): Promise<{ app: AppDefinition; deployment: StoredDeployment }> {
    return this.executor.serial(async () => {
      const spec = parseApp(body, { defaultRole: MARATHON_ROLE });
      if (this.apps.has(spec.id)) throw new ConflictError(`An app with id [${spec.id}] already exists.`);
      const withPorts = assignServicePorts(spec, this.executor.servicePortsExcept(new Set([spec.id])));
      const app = createApp(withPorts, this.executor.now());
      const deployment = await this.executor.deploy([], [app], options);
      return { app, deployment };
    });
  }

  /** PUT /v2/apps/{id} (and PATCH, with partialUpdate): creates the app when it does not exist. */
  update(appId: string, body: unknown, options: UpdateOptions = {}): Promise<{ created: boolean; deployment: StoredDeployment }> {
    return this.executor.serial(async () => {
      const current = this.apps.get(appId);
      const target = await this.updated(appId, current, body, options.partialUpdate);
      const deployment = await this.executor.deploy(current ? [current] : [], [target], options);
      return { created: current === undefined, deployment };
    });
  }

  /** PUT /v2/apps and PATCH /v2/apps: several apps in one deployment. */
  updateMany(bodies: unknown, options: UpdateOptions = {}): Promise<StoredDeployment> {
    return this.executor.serial(async () => {
      if (!Array.isArray(bodies)) throw new MarathonValidationError([{ path: '/', errors: ['error.expected.jsarray'] }]);
      const problems: Array<{ path: string; errors: string[] }> = [];
      const before: AppDefinition[] = [];
      const after: AppDefinition[] = [];
      for (const [i, body] of bodies.entries()) {
        const rawId = isPlainObject(body) && typeof body.id === 'string' ? body.id : undefined;
        if (rawId === undefined) {
          problems.push({ path: `(${i})/id`, errors: ['error.path.missing'] });
          continue;
        }
        const appId = resolvePathId(rawId);
        const current = this.apps.get(appId);
        try {
          after.push(await this.updated(appId, current, body, options.partialUpdate));
          if (current) before.push(current);
        } catch (err) {
          if (!(err instanceof MarathonValidationError)) throw err;
          for (const d of err.marathonDetails) problems.push({ path: `(${i})${d.path === '/' ? '' : d.path}`, errors: d.errors });
        }
      }
      if (problems.length > 0) throw new MarathonValidationError(problems);
      return this.executor.deploy(before, after, options);
    });
  }

  /** DELETE /v2/apps/{id}. */
  delete(appId: string, options: ChangeOptions = {}): Promise<StoredDeployment> {
    return this.executor.serial(async () => {
      const current = this.require(appId);
      return this.executor.deploy([current], [], options);
    });
  }

  /** POST /v2/apps/{id}/restart: same config, every task replaced (rolling). */
  restart(appId: string, options: ChangeOptions = {}): Promise<StoredDeployment> {
    return this.executor.serial(async () => {
      const current = this.require(appId);
      return this.executor.deploy([current], [restartApp(current, this.executor.now())], options);
    });
  }

  /**
   * DELETE /v2/apps/{id}/tasks[/{taskId}] and POST /v2/tasks/delete: kills tasks, given by
   * Marathon or Pando id (or all of `host`). Without scale the app gets replacements; with it
   * the app is scaled down by the number killed (a deployment).
   */
  killTasks(appId: string, select: { taskIds?: readonly string[]; host?: string }, options: KillOptions = {}): Promise<KillResult> {
    return this.executor.serial(async () => {
      const app = this.require(appId);
      const tasks = this.selectTasks(appId, select);
      let deployment: StoredDeployment | undefined;
      if (options.scale) {
        const scaled = scaleApp(app, Math.max(0, app.instances - tasks.length), this.executor.now());
        deployment = await this.executor.deploy([app], [scaled], options);
      }
      const snapshot = tasks.map((t) => ({ ...t }));
      const grace = app.taskKillGracePeriodSeconds !== undefined ? app.taskKillGracePeriodSeconds * 1000 : undefined;
      for (const task of tasks) this.killer.kill(task, 'api', grace);
      this.keeper.markDirty(appId);
      return deployment ? { tasks: snapshot, deployment } : { tasks: snapshot };
    });
  }

  private selectTasks(appId: string, select: { taskIds?: readonly string[]; host?: string }): TrackedTask[] {
    const live = this.tracker.tasksOf(appId).filter((t) => t.killRequestedAt === undefined);
    if (select.taskIds) {
      return select.taskIds.map((id) => {
        const task = this.tracker.get(toPandoTaskId(id));
        if (!task || task.appId !== appId) throw taskNotFound(id);
        return task;
      });
    }
    return select.host !== undefined ? live.filter((t) => t.host === select.host) : live;
  }

  private require(appId: string): AppDefinition {
    const app = this.apps.get(appId);
    if (!app) throw appNotFound(appId);
    return app;
  }

  /** The app after an update body (a rollback reads the old version from the store first). */
  private async updated(appId: string, current: AppDefinition | undefined, body: unknown, partialUpdate?: boolean): Promise<AppDefinition> {
    const wanted = isPlainObject(body) && typeof body.version === 'string' ? await this.apps.version(appId, body.version) : undefined;
    const result = applyAppUpdate(appId, current, body, {
      now: this.executor.now(),
      defaultRole: MARATHON_ROLE,
      ...(partialUpdate !== undefined ? { partialUpdate } : {}),
      findVersion: (v) => (wanted?.version === v ? wanted : undefined),
      servicePorts: { usedByOthers: this.executor.servicePortsExcept(new Set([appId])) },
    });
    return result.app;
  }
}
