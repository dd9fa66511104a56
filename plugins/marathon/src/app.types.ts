/**
 * The canonical, validated form of a Marathon app as Pando keeps it: every default applied,
 * deprecated fields (`ports`, `container.docker.network`, `container.docker.portMappings`)
 * translated to their current form. Field names are Marathon's, so the JSON view is a projection.
 */

export type PortProtocol = 'tcp' | 'udp' | 'tcp,udp';
export type NetworkMode = 'host' | 'container/bridge' | 'container';
export type KillSelection = 'YOUNGEST_FIRST' | 'OLDEST_FIRST';
export type ConstraintOperator = 'UNIQUE' | 'CLUSTER' | 'GROUP_BY' | 'LIKE' | 'UNLIKE' | 'MAX_PER' | 'IS';
/** Every protocol Marathon accepts; Pando's agent runs them as HTTP, TCP or COMMAND. */
export type HealthCheckProtocol = 'HTTP' | 'TCP' | 'COMMAND' | 'MESOS_HTTP' | 'MESOS_TCP';

export const CONSTRAINT_OPERATORS: readonly ConstraintOperator[] = ['UNIQUE', 'CLUSTER', 'GROUP_BY', 'LIKE', 'UNLIKE', 'MAX_PER', 'IS'];

/** `[field, operator]` or `[field, operator, value]`, as in Marathon's app JSON. */
export type Constraint = [string, ConstraintOperator] | [string, ConstraintOperator, string];

export interface PortDefinition {
  /** The service port (0 until one is assigned); with requirePorts also the host port. */
  port: number;
  protocol: PortProtocol;
  name?: string;
  labels?: Record<string, string>;
}

export interface PortMapping {
  /** 0 means "the same as the host port". */
  containerPort: number;
  /** Absent: no host port (only for `container` networks); 0: any port from the offer. */
  hostPort?: number;
  servicePort: number;
  protocol: PortProtocol;
  name?: string;
  labels?: Record<string, string>;
}

export interface DockerParameter {
  key: string;
  value: string;
}

export interface DockerContainer {
  image: string;
  forcePullImage: boolean;
  privileged: boolean;
  parameters: DockerParameter[];
}

export interface AppVolume {
  containerPath: string;
  hostPath: string;
  mode: 'RO' | 'RW';
}

export interface AppContainer {
  /** MESOS with a docker image is run by Pando's Docker executor too. */
  type: 'DOCKER' | 'MESOS';
  docker: DockerContainer;
  portMappings?: PortMapping[];
  volumes: AppVolume[];
}

export interface Network {
  mode: NetworkMode;
  name?: string;
  labels?: Record<string, string>;
}

export interface HealthCheck {
  protocol: HealthCheckProtocol;
  path?: string;
  portIndex?: number;
  port?: number;
  command?: { value: string };
  gracePeriodSeconds: number;
  intervalSeconds: number;
  timeoutSeconds: number;
  maxConsecutiveFailures: number;
  delaySeconds: number;
  ipProtocol: 'IPv4' | 'IPv6';
  ignoreHttp1xx?: boolean;
}

export interface ReadinessCheck {
  name: string;
  protocol: 'HTTP' | 'HTTPS';
  path: string;
  portName: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  httpStatusCodesForReady: number[];
  preserveLastResponse: boolean;
}

export interface UpgradeStrategy {
  minimumHealthCapacity: number;
  maximumOverCapacity: number;
}

export type UnreachableStrategy = 'disabled' | { inactiveAfterSeconds: number; expungeAfterSeconds: number };

export interface VersionInfo {
  lastScalingAt: string;
  lastConfigChangeAt: string;
}

/** An app as submitted and validated, before it gets a version. */
export interface AppSpec {
  id: string;
  cmd?: string;
  args?: string[];
  user?: string;
  instances: number;
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
  env: Record<string, string>;
  labels: Record<string, string>;
  container?: AppContainer;
  networks: Network[];
  /** Only with host networking; empty otherwise. */
  portDefinitions: PortDefinition[];
  requirePorts: boolean;
  constraints: Constraint[];
  healthChecks: HealthCheck[];
  readinessChecks: ReadinessCheck[];
  upgradeStrategy: UpgradeStrategy;
  backoffSeconds: number;
  backoffFactor: number;
  maxLaunchDelaySeconds: number;
  killSelection: KillSelection;
  unreachableStrategy: UnreachableStrategy;
  taskKillGracePeriodSeconds?: number;
  dependencies: string[];
  acceptedResourceRoles?: string[];
  role: string;
}

/** A stored app: a spec plus its version (an ISO timestamp) and what kind of change made it. */
export interface AppDefinition extends AppSpec {
  version: string;
  versionInfo: VersionInfo;
}

/** Marathon's defaults, applied by parseApp to absent fields. */
export const APP_DEFAULTS = {
  instances: 1,
  cpus: 1,
  mem: 128,
  disk: 0,
  gpus: 0,
  backoffSeconds: 1,
  backoffFactor: 1.15,
  maxLaunchDelaySeconds: 300,
  killSelection: 'YOUNGEST_FIRST',
  upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
  unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
  role: '*',
} as const;

export const HEALTH_CHECK_DEFAULTS = {
  gracePeriodSeconds: 300,
  intervalSeconds: 60,
  timeoutSeconds: 20,
  maxConsecutiveFailures: 3,
  delaySeconds: 15,
  portIndex: 0,
  path: '/',
} as const;

/** True when tasks get their own network namespace (ports come from portMappings). */
export function usesContainerNetworking(app: Pick<AppSpec, 'networks'>): boolean {
  return app.networks.some((n) => n.mode !== 'host');
}

export function isBridged(app: Pick<AppSpec, 'networks'>): boolean {
  return app.networks.some((n) => n.mode === 'container/bridge');
}

/**
 * The ports a task exposes, in the order Marathon indexes them (PORT0.., health check
 * portIndex): the container's port mappings when it has a network of its own, the port
 * definitions otherwise.
 */
export function appPortCount(app: Pick<AppSpec, 'networks' | 'container' | 'portDefinitions'>): number {
  return usesContainerNetworking(app) ? (app.container?.portMappings ?? []).length : app.portDefinitions.length;
}
