import { Inject, Injectable } from '@nestjs/common';
import { ConflictError } from '@pando/common';
import type { AppDefinition } from '../app.types';
import { isPlainObject, stripNulls } from '../app.schema';
import { applyAppUpdate, scaleApp } from '../app-update.merge';
import { MARATHON_OPTIONS } from '../marathon.tokens';
import { MARATHON_ROLE, type MarathonOptions } from '../marathon.options';
import { MarathonValidationError } from '../marathon-validation.error';
import { isSameOrAncestor, parentId, pathIdProblems, resolvePathId, ROOT_ID } from '../path-id';
import { servicePortsOf } from '../service-ports';
import { AppStore, type StoredDeployment } from '../state/app-store.service';
import { ChangeExecutor, type ChangeOptions } from './change-executor.service';
import { groupNotFound } from './marathon-http.errors';

/** A group body, flattened: the apps it defines (ids resolved) and which groups it replaces. */
interface FlatGroup {
  apps: Array<{ id: string; body: Record<string, unknown>; path: string }>;
  /** Groups whose direct apps the body lists (apps absent from the list go). */
  replacesAppsOf: Set<string>;
  /** Groups whose subgroups the body lists (subgroups absent from the list go). */
  replacesGroupsOf: Set<string>;
}

/**
 * `/v2/groups`: groups exist through the apps in them, so a group change is a change of the
 * apps under it, in one deployment. POST creates, PUT replaces the group's apps and subgroups
 * (those it lists; what it does not list goes) or scales it (`scaleBy`), DELETE removes it.
 */
@Injectable()
export class GroupCommands {
  constructor(
    @Inject(MARATHON_OPTIONS) private readonly options: MarathonOptions,
    private readonly executor: ChangeExecutor,
    private readonly apps: AppStore,
  ) {}

  /** Apps under a group, the group itself excluded. */
  appsUnder(groupId: string): AppDefinition[] {
    return this.apps.all().filter((a) => a.id !== groupId && isSameOrAncestor(groupId, a.id));
  }

  exists(groupId: string): boolean {
    return groupId === ROOT_ID || this.appsUnder(groupId).length > 0;
  }

  /** POST /v2/groups[/{id}]. */
  create(pathId: string | undefined, body: unknown, options: ChangeOptions = {}): Promise<StoredDeployment> {
    return this.executor.serial(async () => {
      const groupId = this.groupIdOf(pathId, body);
      if (groupId !== ROOT_ID && this.exists(groupId)) throw new ConflictError(`Group '${groupId}' is already created. Use PUT to change this group.`);
      const flat = flatten(groupId, body);
      const after = this.targetApps(flat, false);
      return this.executor.deploy([], after, options);
    });
  }

  /** PUT /v2/groups[/{id}]: replace, scale, or create. */
  update(groupId: string, body: unknown, options: ChangeOptions = {}): Promise<StoredDeployment> {
    return this.executor.serial(async () => {
      if (!isPlainObject(body)) throw new MarathonValidationError([{ path: '/', errors: ['error.expected.jsobject'] }]);
      const raw = stripNulls(body) as Record<string, unknown>;
      const before = this.appsUnder(groupId);
      if (raw.version !== undefined) throw new MarathonValidationError([{ path: '/version', errors: ['rolling back a whole group is not supported by Pando: roll back its apps (PUT /v2/apps/{id} with a version)'] }]);
      if (raw.scaleBy !== undefined) return this.executor.deploy(before, this.scaled(before, raw.scaleBy), options);
      const flat = flatten(groupId, { ...raw, id: groupId });
      const listed = this.targetApps(flat, true);
      const listedIds = new Set(listed.map((a) => a.id));
      const kept = before.filter((a) => !listedIds.has(a.id) && !replaced(a.id, flat));
      return this.executor.deploy(before, [...kept, ...listed], options);
    });
  }

  /** DELETE /v2/groups[/{id}]: every app under it goes. */
  delete(groupId: string, options: ChangeOptions = {}): Promise<StoredDeployment> {
    return this.executor.serial(async () => {
      if (!this.exists(groupId)) throw groupNotFound(groupId);
      return this.executor.deploy(this.appsUnder(groupId), [], options);
    });
  }

  private groupIdOf(pathId: string | undefined, body: unknown): string {
    const bodyId = isPlainObject(body) && typeof body.id === 'string' ? body.id : undefined;
    if (pathId !== undefined) return bodyId !== undefined ? resolvePathId(bodyId, pathId) : pathId;
    if (bodyId === undefined) throw new MarathonValidationError([{ path: '/id', errors: ['error.path.missing'] }]);
    const problems = pathIdProblems(bodyId);
    if (problems.length > 0) throw new MarathonValidationError([{ path: '/id', errors: problems }]);
    return resolvePathId(bodyId);
  }

  private scaled(apps: readonly AppDefinition[], scaleBy: unknown): AppDefinition[] {
    if (typeof scaleBy !== 'number' || !(scaleBy >= 0)) throw new MarathonValidationError([{ path: '/scaleBy', errors: ['error.expected.jsnumber'] }]);
    const now = this.executor.now();
    return apps.map((a) => scaleApp(a, Math.ceil(a.instances * scaleBy), now));
  }

  /** Parses every app of the body (each problem under its path in the group body). */
  private targetApps(flat: FlatGroup, updateExisting: boolean): AppDefinition[] {
    const problems = new PathProblems();
    const apps: AppDefinition[] = [];
    const ids = new Set(flat.apps.map((a) => a.id));
    const usedByOthers = this.executor.servicePortsExcept(ids);
    for (const { id, body, path } of flat.apps) {
      const current = updateExisting ? this.apps.get(id) : undefined;
      if (!updateExisting && this.apps.has(id)) problems.add(`${path}/id`, `An app with id [${id}] already exists.`);
      try {
        const result = applyAppUpdate(id, current, { ...body, id }, { now: this.executor.now(), partialUpdate: false, defaultRole: MARATHON_ROLE, servicePorts: { usedByOthers } });
        apps.push(result.app);
        for (const port of servicePortsOf(result.app)) usedByOthers.add(port);
      } catch (err) {
        if (!(err instanceof MarathonValidationError)) throw err;
        for (const d of err.marathonDetails) for (const e of d.errors) problems.add(`${path}${d.path === '/' ? '' : d.path}`, e);
      }
    }
    problems.throwIfAny();
    return apps;
  }
}

/** True when the update lists the app's group (its direct apps, or its parent's subgroups). */
function replaced(appId: string, flat: FlatGroup): boolean {
  if (flat.replacesAppsOf.has(parentId(appId))) return true;
  for (let group = parentId(appId); group !== ROOT_ID; group = parentId(group)) {
    if (flat.replacesGroupsOf.has(parentId(group))) return true;
  }
  return false;
}

/** Walks a group body: `apps` and nested `groups`, ids relative to their group. */
function flatten(groupId: string, body: unknown): FlatGroup {
  const flat: FlatGroup = { apps: [], replacesAppsOf: new Set(), replacesGroupsOf: new Set() };
  const problems = new PathProblems();
  const walk = (id: string, node: Record<string, unknown>, path: string): void => {
    if (Array.isArray(node.apps)) {
      flat.replacesAppsOf.add(id);
      node.apps.forEach((app, i) => {
        const appPath = `${path}/apps(${i})`;
        if (!isPlainObject(app) || typeof app.id !== 'string') return problems.add(`${appPath}/id`, 'error.path.missing');
        const idProblems = pathIdProblems(app.id);
        if (idProblems.length > 0) return idProblems.forEach((p) => problems.add(`${appPath}/id`, p));
        flat.apps.push({ id: resolvePathId(app.id, id), body: app, path: appPath });
      });
    }
    if (Array.isArray(node.groups)) {
      flat.replacesGroupsOf.add(id);
      node.groups.forEach((group, i) => {
        const groupPath = `${path}/groups(${i})`;
        if (!isPlainObject(group) || typeof group.id !== 'string') return problems.add(`${groupPath}/id`, 'error.path.missing');
        walk(resolvePathId(group.id, id), group, groupPath);
      });
    }
  };
  if (!isPlainObject(body)) throw new MarathonValidationError([{ path: '/', errors: ['error.expected.jsobject'] }]);
  walk(groupId, stripNulls(body) as Record<string, unknown>, '');
  problems.throwIfAny();
  return flat;
}

/** Problems keyed by Marathon paths inside a group body (`/apps(0)/cpus`). */
class PathProblems {
  private readonly byPath = new Map<string, string[]>();

  add(path: string, error: string): void {
    const errors = this.byPath.get(path || '/') ?? [];
    if (!errors.includes(error)) errors.push(error);
    this.byPath.set(path || '/', errors);
  }

  throwIfAny(): void {
    if (this.byPath.size > 0) throw new MarathonValidationError([...this.byPath].map(([path, errors]) => ({ path, errors })));
  }
}
