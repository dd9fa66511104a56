import { z } from 'zod';
import { roleSchema } from '@pando/protocol';
import { appFieldSchemas, type AppFieldName, type AppFields } from './app-fields.schema';
import { portNames, resolveHealthChecks, resolveNetworking, resolveReadinessChecks, type Networking } from './app-networking.rules';
import { APP_DEFAULTS, appPortCount, type AppSpec, type Constraint, type UnreachableStrategy } from './app.types';
import { toConstraint, validateConstraint } from './constraint.matcher';
import { marathonIssueMessage, ProblemCollector } from './marathon-validation.error';
import { MAX_APP_ID_LENGTH, parentId, pathIdProblems, resolvePathId, ROOT_ID } from './path-id';

/**
 * Turns a POST/PUT body into a validated AppSpec with Marathon's defaults, or throws
 * MarathonValidationError (422) listing every problem with Marathon's paths (`/cpus`,
 * `/container/docker/image`, `/constraints(0)`). Read-only fields a client echoes back from a
 * GET (`version`, `tasksRunning`, ...) and unknown fields are ignored, as Marathon does.
 */
export interface ParseAppOptions {
  /** Group that relative ids (`web`, `../db`) are resolved against; default the root. */
  baseGroup?: string;
  /** Role for apps that do not name one (the framework's role); default '*'. */
  defaultRole?: string;
}

/** The top-level object schema, for documentation and tooling; parseApp validates field by field. */
export const appJsonSchema = z.object(
  Object.fromEntries(
    Object.entries(appFieldSchemas).map(([name, schema]) => [name, (typeof schema === 'function' ? z.unknown() : schema).optional()]),
  ),
);

export function parseApp(body: unknown, options: ParseAppOptions = {}): AppSpec {
  const problems = new ProblemCollector();
  if (!isPlainObject(body)) {
    problems.add([], 'error.expected.jsobject');
    problems.throwIfAny();
  }
  const raw = stripNulls(body) as Record<string, unknown>;
  const fields = parseAppFields(raw, problems);
  const spec = buildSpec(fields, raw, problems, options);
  problems.throwIfAny();
  return spec;
}

/** Validates each present field on its own; invalid fields are reported and left out. */
export function parseAppFields(raw: Record<string, unknown>, problems: ProblemCollector): AppFields {
  const fields: Record<string, unknown> = {};
  for (const [name, schemaOrPick] of Object.entries(appFieldSchemas)) {
    const value = raw[name];
    if (value === undefined) continue;
    const schema: z.ZodType = typeof schemaOrPick === 'function' ? schemaOrPick(value) : schemaOrPick;
    const result = schema.safeParse(value, { error: marathonIssueMessage });
    if (result.success) fields[name] = result.data;
    else problems.addZodIssues([name], result.error.issues);
  }
  return fields as AppFields;
}

function buildSpec(fields: AppFields, raw: Record<string, unknown>, problems: ProblemCollector, options: ParseAppOptions): AppSpec {
  const invalid = (name: AppFieldName) => raw[name] !== undefined && fields[name] === undefined;
  const id = resolveId(raw.id, fields.id, problems, options.baseGroup ?? ROOT_ID);
  const networking = resolveNetworking(fields, problems, invalid('container'));
  checkCommand(fields, networking, invalid, problems);
  checkUnsupported(fields, problems);
  const role = resolveRole(fields, problems, options.defaultRole ?? APP_DEFAULTS.role);
  const unreachableStrategy = resolveUnreachable(fields.unreachableStrategy, problems);
  const spec: AppSpec = {
    id: id ?? '/',
    instances: fields.instances ?? APP_DEFAULTS.instances,
    cpus: fields.cpus ?? APP_DEFAULTS.cpus,
    mem: fields.mem ?? APP_DEFAULTS.mem,
    disk: fields.disk ?? APP_DEFAULTS.disk,
    gpus: fields.gpus ?? APP_DEFAULTS.gpus,
    env: resolveEnv(fields.env ?? {}, problems),
    labels: fields.labels ?? {},
    ...networking,
    constraints: resolveConstraints(fields.constraints ?? [], problems),
    healthChecks: resolveHealthChecks(fields.healthChecks ?? [], appPortCount(networking), problems),
    readinessChecks: resolveReadinessChecks(fields.readinessChecks ?? [], portNames(networking), problems),
    upgradeStrategy: fields.upgradeStrategy ?? { ...APP_DEFAULTS.upgradeStrategy },
    backoffSeconds: fields.backoffSeconds ?? APP_DEFAULTS.backoffSeconds,
    backoffFactor: fields.backoffFactor ?? APP_DEFAULTS.backoffFactor,
    maxLaunchDelaySeconds: fields.maxLaunchDelaySeconds ?? APP_DEFAULTS.maxLaunchDelaySeconds,
    killSelection: fields.killSelection ?? APP_DEFAULTS.killSelection,
    unreachableStrategy,
    dependencies: resolveDependencies(fields.dependencies ?? [], id, problems),
    role,
  };
  if (fields.cmd !== undefined) spec.cmd = fields.cmd;
  if (fields.args !== undefined && fields.args.length > 0) spec.args = fields.args;
  if (fields.user !== undefined) spec.user = fields.user;
  if (fields.taskKillGracePeriodSeconds !== undefined) spec.taskKillGracePeriodSeconds = fields.taskKillGracePeriodSeconds;
  if (fields.acceptedResourceRoles !== undefined) spec.acceptedResourceRoles = fields.acceptedResourceRoles;
  if (spec.container === undefined) delete spec.container;
  return spec;
}

function resolveId(raw: unknown, parsed: string | undefined, problems: ProblemCollector, base: string): string | undefined {
  if (raw === undefined) {
    problems.add(['id'], 'error.path.missing');
    return undefined;
  }
  if (parsed === undefined) return undefined;
  const idProblems = pathIdProblems(parsed);
  if (idProblems.length > 0) {
    for (const p of idProblems) problems.add(['id'], p);
    return undefined;
  }
  let id: string;
  try {
    id = resolvePathId(parsed, base);
  } catch (err) {
    problems.add(['id'], (err as Error).message);
    return undefined;
  }
  if (id === ROOT_ID) problems.add(['id'], 'must not be root');
  if (id.length > MAX_APP_ID_LENGTH) problems.add(['id'], `must be at most ${MAX_APP_ID_LENGTH} characters long (Pando derives task ids from it)`);
  return id;
}

function checkCommand(fields: AppFields, networking: Networking, invalid: (name: AppFieldName) => boolean, problems: ProblemCollector): void {
  // A field that failed validation was reported already; judging it absent would add noise.
  if (invalid('cmd') || invalid('args') || invalid('container')) return;
  const cmd = fields.cmd !== undefined;
  const args = (fields.args ?? []).length > 0;
  const container = networking.container !== undefined;
  if (!((cmd !== args) || (!(cmd && args) && container))) {
    problems.add([], "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.");
  }
}

const NOT_SUPPORTED = 'is not supported by Pando';

function checkUnsupported(fields: AppFields, problems: ProblemCollector): void {
  if (fields.executor !== undefined && fields.executor !== '' && fields.executor !== '//cmd') {
    problems.add(['executor'], `custom executors are not supported by Pando (use '' or '//cmd')`);
  }
  if ((fields.fetch ?? []).length > 0) problems.add(['fetch'], `fetching artifacts ${NOT_SUPPORTED}; put them in a Docker image`);
  if ((fields.uris ?? []).length > 0) problems.add(['uris'], `fetching artifacts ${NOT_SUPPORTED}; put them in a Docker image`);
  if ((fields.storeUrls ?? []).length > 0) problems.add(['storeUrls'], `the artifact store ${NOT_SUPPORTED}`);
  if (Object.keys(fields.secrets ?? {}).length > 0) problems.add(['secrets'], `secrets ${NOT_SUPPORTED}`);
  if (fields.residency !== undefined) problems.add(['residency'], `resident apps (persistent volumes) are not supported by Pando`);
  if (fields.ipAddress !== undefined) problems.add(['ipAddress'], `ipAddress ${NOT_SUPPORTED}; use networks`);
}

function resolveEnv(env: Record<string, unknown>, problems: ProblemCollector): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === 'string') out[name] = value;
    else if (isPlainObject(value) && 'secret' in value) problems.add(['env', name], `secret references are not supported by Pando`);
    else problems.add(['env', name], 'error.expected.jsstring');
  }
  return out;
}

function resolveConstraints(raw: readonly string[][], problems: ProblemCollector): Constraint[] {
  const constraints: Constraint[] = [];
  raw.forEach((c, i) => {
    const found = validateConstraint(c);
    for (const p of found) problems.add(['constraints', i], p);
    if (found.length === 0) constraints.push(toConstraint(c));
  });
  return constraints;
}

function resolveRole(fields: AppFields, problems: ProblemCollector, defaultRole: string): string {
  const role = fields.role ?? defaultRole;
  if (fields.role !== undefined && !roleSchema.safeParse(fields.role).success) problems.add(['role'], `'${fields.role}' is not a valid role`);
  (fields.acceptedResourceRoles ?? []).forEach((r, i) => {
    if (!roleSchema.safeParse(r).success) problems.add(['acceptedResourceRoles', i], `'${r}' is not a valid role`);
  });
  return role;
}

function resolveUnreachable(value: unknown, problems: ProblemCollector): UnreachableStrategy {
  if (value === undefined) return { ...APP_DEFAULTS.unreachableStrategy };
  if (value === 'disabled') return 'disabled';
  const strategy = value as { inactiveAfterSeconds: number; expungeAfterSeconds: number };
  if (strategy.inactiveAfterSeconds > strategy.expungeAfterSeconds) {
    problems.add(['unreachableStrategy', 'inactiveAfterSeconds'], `got ${strategy.inactiveAfterSeconds}, expected ${strategy.expungeAfterSeconds} or less (expungeAfterSeconds)`);
  }
  return { inactiveAfterSeconds: strategy.inactiveAfterSeconds, expungeAfterSeconds: strategy.expungeAfterSeconds };
}

/** Dependencies may be relative to the app's group, like Marathon's `../db`. */
function resolveDependencies(raw: readonly string[], appId: string | undefined, problems: ProblemCollector): string[] {
  const base = appId ? parentId(appId) : ROOT_ID;
  const resolved: string[] = [];
  raw.forEach((dep, i) => {
    const found = pathIdProblems(dep);
    if (found.length > 0) {
      for (const p of found) problems.add(['dependencies', i], p);
      return;
    }
    try {
      resolved.push(resolvePathId(dep, base));
    } catch (err) {
      problems.add(['dependencies', i], (err as Error).message);
    }
  });
  return [...new Set(resolved)];
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Marathon reads `null` as "not given" (clients often send `"container": null`); dropping null
 * object members up front lets every schema treat them as absent.
 */
export function stripNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripNulls);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) if (member !== null) out[key] = stripNulls(member);
  return out;
}
