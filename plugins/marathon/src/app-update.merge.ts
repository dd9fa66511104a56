import { NotFoundError } from '@pando/common';
import { READ_ONLY_APP_FIELDS } from './app-fields.schema';
import { appSpecJson } from './app-json.view';
import { isPlainObject, parseApp, stripNulls, type ParseAppOptions } from './app.schema';
import type { AppDefinition, AppSpec } from './app.types';
import { ProblemCollector } from './marathon-validation.error';
import { assignServicePorts, type PortRange } from './service-ports';

/**
 * Versions and updates of apps. A version is an ISO-8601 timestamp (Marathon's form,
 * `2015-09-30T09:09:17.614Z`); every stored change gets a new one, strictly increasing per app.
 * `versionInfo` says when the config last changed and when the app was last scaled: a task runs
 * the current config when it was launched at or after `lastConfigChangeAt`.
 */

/** What an update did to the app, which decides the deployment: restart, scale, or nothing. */
export type AppChange = 'create' | 'config' | 'scale' | 'none';

export interface AppUpdateResult {
  app: AppDefinition;
  change: AppChange;
  /** True when the body named a version to go back to. */
  rollback: boolean;
}

export interface AppUpdateOptions extends ParseAppOptions {
  now: number;
  /** PUT's `partialUpdate` (Marathon's default true): absent fields keep their current value. */
  partialUpdate?: boolean;
  /** Earlier versions of the app, for a version-only body (rollback). */
  findVersion?: (version: string) => AppDefinition | undefined;
  /** Service ports of all other apps, and the range to take new ones from. */
  servicePorts?: { usedByOthers: ReadonlySet<number>; range?: PortRange };
}

/** A timestamp version after `previous` (two changes in one millisecond still get distinct versions). */
export function nextVersion(now: number, previous?: string): string {
  const after = previous === undefined ? Number.NEGATIVE_INFINITY : Date.parse(previous) + 1;
  return new Date(Math.max(now, after)).toISOString();
}

/** A new app: its first version is both its last config change and its last scaling. */
export function createApp(spec: AppSpec, now: number): AppDefinition {
  const version = nextVersion(now);
  return { ...spec, version, versionInfo: { lastScalingAt: version, lastConfigChangeAt: version } };
}

/** True when anything but the instance count differs: running tasks must be replaced. */
export function isConfigChange(from: AppSpec, to: AppSpec): boolean {
  return stableJson({ ...specOnly(from), instances: 0 }) !== stableJson({ ...specOnly(to), instances: 0 });
}

/**
 * Marathon's needsRestart: the config differs, or a restart was asked for (POST .../restart
 * and rollbacks bump lastConfigChangeAt without changing the config).
 */
export function needsRestart(from: AppDefinition, to: AppDefinition): boolean {
  return isConfigChange(from, to) || from.versionInfo.lastConfigChangeAt !== to.versionInfo.lastConfigChangeAt;
}

export function isOnlyScaleChange(from: AppDefinition, to: AppDefinition): boolean {
  return !needsRestart(from, to) && from.instances !== to.instances;
}

/** True when the task was launched from the app's current config (not an older one). */
export function runsCurrentConfig(taskVersion: string, app: AppDefinition): boolean {
  const changed = app.versionInfo.lastConfigChangeAt;
  // Versions made by nextVersion are toISOString()s, which order as strings: no parsing on
  // this path, which runs for every task of an app on every evaluation.
  if (taskVersion.length === ISO_LENGTH && changed.length === ISO_LENGTH && taskVersion.endsWith('Z') && changed.endsWith('Z')) return taskVersion >= changed;
  return Date.parse(taskVersion) >= Date.parse(changed);
}

const ISO_LENGTH = '2015-09-30T09:09:17.614Z'.length;

/** A new version of `app` with new contents, versionInfo following the kind of change. */
export function withChange(app: AppDefinition, spec: AppSpec, now: number): AppUpdateResult {
  const version = nextVersion(now, app.version);
  if (isConfigChange(app, spec)) {
    return { app: { ...spec, version, versionInfo: { lastScalingAt: version, lastConfigChangeAt: version } }, change: 'config', rollback: false };
  }
  if (app.instances !== spec.instances) {
    return { app: { ...spec, version, versionInfo: { ...app.versionInfo, lastScalingAt: version } }, change: 'scale', rollback: false };
  }
  return { app, change: 'none', rollback: false };
}

/** POST /v2/apps/{id}/restart: same config, new config version, so every task is replaced. */
export function restartApp(app: AppDefinition, now: number): AppDefinition {
  const version = nextVersion(now, app.version);
  return { ...app, version, versionInfo: { lastScalingAt: version, lastConfigChangeAt: version } };
}

/** Scales without touching the config (PUT {instances}, groups' scaleBy, DELETE tasks?scale=true). */
export function scaleApp(app: AppDefinition, instances: number, now: number): AppDefinition {
  if (instances === app.instances) return app;
  const version = nextVersion(now, app.version);
  return { ...app, instances, version, versionInfo: { ...app.versionInfo, lastScalingAt: version } };
}

/**
 * PUT /v2/apps/{id}: creates the app when `current` is undefined, otherwise updates it. With
 * partialUpdate (default) the body's fields replace the current ones and the rest stays; a body
 * with only `version` (and `id`) rolls back to that version. The id in the URL wins over one in
 * the body, as in Marathon. Throws MarathonValidationError (422) for invalid bodies and
 * NotFoundError for an unknown version.
 */
export function applyAppUpdate(appId: string, current: AppDefinition | undefined, body: unknown, options: AppUpdateOptions): AppUpdateResult {
  const problems = new ProblemCollector();
  if (!isPlainObject(body)) {
    problems.add([], 'error.expected.jsobject');
    problems.throwIfAny();
  }
  const raw = withoutReadOnly(stripNulls(body) as Record<string, unknown>);
  if (raw.version !== undefined) return rollback(appId, current, raw, options, problems);
  const partial = (options.partialUpdate ?? true) && current !== undefined;
  const merged = partial ? overlay(appSpecJson(current), raw) : raw;
  const parsed = parseApp({ ...merged, id: appId }, options);
  const spec = withServicePorts(parsed, current, options);
  if (!current) return { app: createApp(spec, options.now), change: 'create', rollback: false };
  return withChange(current, spec, options.now);
}

function rollback(appId: string, current: AppDefinition | undefined, raw: Record<string, unknown>, options: AppUpdateOptions, problems: ProblemCollector): AppUpdateResult {
  if (Object.keys(raw).some((key) => key !== 'id' && key !== 'version')) {
    problems.add([], "The 'version' field may only be combined with the 'id' field.");
  }
  if (typeof raw.version !== 'string' || Number.isNaN(Date.parse(raw.version))) problems.add(['version'], 'error.expected.date');
  problems.throwIfAny();
  const target = options.findVersion?.(raw.version as string);
  if (!current || !target) throw new NotFoundError(`app '${appId}' has no version '${String(raw.version)}'`);
  const version = nextVersion(options.now, current.version);
  const { version: _old, versionInfo: _info, ...spec } = target;
  return { app: { ...spec, id: appId, version, versionInfo: { lastScalingAt: version, lastConfigChangeAt: version } }, change: 'config', rollback: true };
}

/**
 * Top-level fields of the body replace the current ones, as in Marathon's AppUpdate. Fields
 * that only make sense together are cleared with their partner: a new `cmd` drops `args`, new
 * `ports` drop `portDefinitions`, a legacy `container.docker.network` drops `networks`.
 */
function overlay(current: Record<string, unknown>, body: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...current, ...body };
  if ('cmd' in body && !('args' in body)) delete merged.args;
  if ('args' in body && !('cmd' in body)) delete merged.cmd;
  if ('ports' in body && !('portDefinitions' in body)) delete merged.portDefinitions;
  const legacyNetwork = isPlainObject(body.container) && isPlainObject(body.container.docker) && 'network' in body.container.docker;
  if (legacyNetwork && !('networks' in body)) delete merged.networks;
  return merged;
}

function withoutReadOnly(raw: Record<string, unknown>): Record<string, unknown> {
  const out = { ...raw };
  for (const key of READ_ONLY_APP_FIELDS) delete out[key];
  return out;
}

function withServicePorts(spec: AppSpec, current: AppDefinition | undefined, options: AppUpdateOptions): AppSpec {
  if (!options.servicePorts) return spec;
  return assignServicePorts(spec, options.servicePorts.usedByOthers, current, options.servicePorts.range);
}

function specOnly(app: AppSpec | AppDefinition): AppSpec {
  const { version: _v, versionInfo: _i, ...spec } = app as AppDefinition;
  return spec;
}

/** JSON with sorted object keys, so that equal specs compare equal whatever their key order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isPlainObject(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
