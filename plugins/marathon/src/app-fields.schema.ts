import { z } from 'zod';
import { HEALTH_CHECK_DEFAULTS } from './app.types';

/**
 * Zod schemas for the fields of Marathon's app JSON (POST /v2/apps, PUT /v2/apps/{id}), one per
 * top-level field so that a bad field never hides the problems of the others. Defaults are
 * Marathon's. Rules that span fields (cmd xor args, ports vs networks, ...) live in app.schema.ts.
 */

const between01 = (iss: { input?: unknown }) => `got ${String(iss.input)}, expected between 0.0 and 1.0`;
const fraction = () => z.number().min(0, { error: between01 }).max(1, { error: between01 });
const nonNegative = () => z.number().min(0);
const count = () => z.int().min(0);
const port = () => z.int().min(0).max(65535);
const text = () => z.string();
const nonEmptyText = () => z.string().min(1);
const stringMap = () => z.record(z.string(), z.string());

/** Marathon's "legacy name" for ports: what DNS SRV records and PORT_<NAME> variables accept. */
const portName = () => z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: "must fully match regular expression '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'" });

export const portProtocolSchema = z.enum(['tcp', 'udp', 'tcp,udp']);

export const portDefinitionSchema = z.object({
  port: port().default(0),
  protocol: portProtocolSchema.default('tcp'),
  name: portName().optional(),
  labels: stringMap().optional(),
});

export const portMappingSchema = z.object({
  containerPort: port().default(0),
  hostPort: port().optional(),
  servicePort: port().default(0),
  protocol: portProtocolSchema.default('tcp'),
  name: portName().optional(),
  labels: stringMap().optional(),
  networkNames: z.array(text()).optional(),
});

export const dockerSchema = z.object({
  image: nonEmptyText(),
  forcePullImage: z.boolean().default(false),
  privileged: z.boolean().default(false),
  parameters: z.array(z.object({ key: nonEmptyText(), value: text() })).default([]),
  /** Deprecated in Marathon in favour of app.networks; translated by parseApp. */
  network: z.enum(['BRIDGE', 'HOST', 'NONE', 'USER']).optional(),
  /** Deprecated in Marathon in favour of container.portMappings; translated by parseApp. */
  portMappings: z.array(portMappingSchema).optional(),
  credential: z.unknown().optional(),
  pullConfig: z.unknown().optional(),
});

export const volumeSchema = z.object({
  containerPath: nonEmptyText(),
  hostPath: nonEmptyText().optional(),
  mode: z.enum(['RO', 'RW']),
  persistent: z.unknown().optional(),
  external: z.unknown().optional(),
  secret: z.unknown().optional(),
});

export const containerSchema = z.object({
  type: z.enum(['DOCKER', 'MESOS']).default('DOCKER'),
  docker: dockerSchema.optional(),
  appc: z.unknown().optional(),
  portMappings: z.array(portMappingSchema).optional(),
  volumes: z.array(volumeSchema).default([]),
});

export const networkSchema = z.object({
  mode: z.enum(['container', 'container/bridge', 'host']).default('container'),
  name: text().optional(),
  labels: stringMap().optional(),
});

export const healthCheckSchema = z.object({
  protocol: z.enum(['HTTP', 'HTTPS', 'TCP', 'COMMAND', 'MESOS_HTTP', 'MESOS_HTTPS', 'MESOS_TCP']).optional(),
  path: text().optional(),
  portIndex: count().optional(),
  port: port().optional(),
  command: z.object({ value: nonEmptyText() }).optional(),
  gracePeriodSeconds: count().default(HEALTH_CHECK_DEFAULTS.gracePeriodSeconds),
  intervalSeconds: count().default(HEALTH_CHECK_DEFAULTS.intervalSeconds),
  timeoutSeconds: count().default(HEALTH_CHECK_DEFAULTS.timeoutSeconds),
  maxConsecutiveFailures: count().default(HEALTH_CHECK_DEFAULTS.maxConsecutiveFailures),
  delaySeconds: count().default(HEALTH_CHECK_DEFAULTS.delaySeconds),
  ignoreHttp1xx: z.boolean().optional(),
  ipProtocol: z.enum(['IPv4', 'IPv6']).optional(),
});

export const readinessCheckSchema = z.object({
  name: nonEmptyText().default('readinessCheck'),
  protocol: z.enum(['HTTP', 'HTTPS']).default('HTTP'),
  path: nonEmptyText().default('/'),
  portName: text().default('http-api'),
  intervalSeconds: count().default(30),
  timeoutSeconds: z.int().min(1).default(10),
  httpStatusCodesForReady: z.array(z.int().min(100).max(999)).min(1).default([200]),
  preserveLastResponse: z.boolean().default(false),
});

export const upgradeStrategySchema = z.object({
  minimumHealthCapacity: fraction().default(1),
  maximumOverCapacity: fraction().default(1),
});

export const unreachableEnabledSchema = z.object({
  inactiveAfterSeconds: count().default(300),
  expungeAfterSeconds: count().default(600),
});

/** A constraint as Marathon's app JSON writes it; the operator and value are checked by rules. */
export const constraintSchema = z.array(text());

/**
 * The schema of each top-level field. A field may pick its schema from the raw value when
 * Marathon accepts several shapes (unreachableStrategy is 'disabled' or an object).
 */
export const appFieldSchemas = {
  id: text(),
  cmd: nonEmptyText(),
  args: z.array(text()),
  user: nonEmptyText(),
  instances: count(),
  cpus: nonNegative(),
  mem: nonNegative(),
  disk: nonNegative(),
  gpus: count(),
  env: z.record(z.string().min(1).max(256), z.unknown()),
  labels: z.record(z.string().max(256), z.string().max(4096)),
  container: containerSchema,
  networks: z.array(networkSchema),
  portDefinitions: z.array(portDefinitionSchema),
  ports: z.array(port()),
  requirePorts: z.boolean(),
  constraints: z.array(constraintSchema),
  healthChecks: z.array(healthCheckSchema),
  readinessChecks: z.array(readinessCheckSchema),
  upgradeStrategy: upgradeStrategySchema,
  backoffSeconds: nonNegative(),
  backoffFactor: z.number().min(1),
  maxLaunchDelaySeconds: nonNegative(),
  killSelection: z.enum(['YOUNGEST_FIRST', 'OLDEST_FIRST']),
  unreachableStrategy: (raw: unknown): z.ZodType => (typeof raw === 'string' ? z.literal('disabled') : unreachableEnabledSchema),
  taskKillGracePeriodSeconds: count().max(3600),
  dependencies: z.array(text()),
  acceptedResourceRoles: z.array(text()).min(1),
  role: text(),
  executor: text(),
  fetch: z.array(z.unknown()),
  uris: z.array(text()),
  storeUrls: z.array(text()),
  secrets: z.record(z.string(), z.unknown()),
  residency: z.unknown(),
  ipAddress: z.unknown(),
  version: z.unknown(),
} as const;

export type AppFieldName = keyof typeof appFieldSchemas;

/** Parsed values of the fields that were present and valid; absent or invalid fields are missing. */
export type AppFields = {
  [K in AppFieldName]?: (typeof appFieldSchemas)[K] extends z.ZodType ? z.output<(typeof appFieldSchemas)[K]> : unknown;
};

/** Read-only fields a client may send back from a GET; Marathon ignores them in bodies. */
export const READ_ONLY_APP_FIELDS = [
  'versionInfo',
  'tasksStaged',
  'tasksRunning',
  'tasksHealthy',
  'tasksUnhealthy',
  'deployments',
  'tasks',
  'lastTaskFailure',
  'readinessCheckResults',
  'taskStats',
] as const;
