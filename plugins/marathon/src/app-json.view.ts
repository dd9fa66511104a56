import type {
  AppContainer,
  AppDefinition,
  AppSpec,
  HealthCheck,
  Network,
  PortDefinition,
  PortMapping,
  ReadinessCheck,
} from './app.types';

/**
 * The app definition in Marathon's JSON, with only Marathon's field names (client libraries
 * refuse unknown keys). Fields Marathon marks "omit when empty" are left out when empty; what
 * parseApp reads back from this JSON is the same spec (the merge of partial updates relies on it).
 */
export type AppJson = Record<string, unknown>;

export function appSpecJson(app: AppSpec | AppDefinition): AppJson {
  const json: AppJson = { id: app.id };
  if (app.acceptedResourceRoles) json.acceptedResourceRoles = [...app.acceptedResourceRoles];
  json.backoffFactor = app.backoffFactor;
  json.backoffSeconds = app.backoffSeconds;
  if (app.cmd !== undefined) json.cmd = app.cmd;
  if (app.args && app.args.length > 0) json.args = [...app.args];
  if (app.constraints.length > 0) json.constraints = app.constraints.map((c) => [...c]);
  if (app.container) json.container = containerJson(app.container);
  json.cpus = app.cpus;
  if (app.dependencies.length > 0) json.dependencies = [...app.dependencies];
  json.disk = app.disk;
  if (Object.keys(app.env).length > 0) json.env = { ...app.env };
  json.executor = '';
  json.gpus = app.gpus;
  if (app.healthChecks.length > 0) json.healthChecks = app.healthChecks.map(healthCheckJson);
  json.instances = app.instances;
  json.killSelection = app.killSelection;
  json.labels = { ...app.labels };
  json.maxLaunchDelaySeconds = app.maxLaunchDelaySeconds;
  json.mem = app.mem;
  json.networks = app.networks.map(networkJson);
  if (app.networks.every((n) => n.mode === 'host')) json.portDefinitions = app.portDefinitions.map(portDefinitionJson);
  if (app.readinessChecks.length > 0) json.readinessChecks = app.readinessChecks.map(readinessCheckJson);
  json.requirePorts = app.requirePorts;
  json.role = app.role;
  if (app.taskKillGracePeriodSeconds !== undefined) json.taskKillGracePeriodSeconds = app.taskKillGracePeriodSeconds;
  json.unreachableStrategy = app.unreachableStrategy === 'disabled' ? 'disabled' : { ...app.unreachableStrategy };
  json.upgradeStrategy = { ...app.upgradeStrategy };
  if (app.user !== undefined) json.user = app.user;
  if ('version' in app) {
    json.version = app.version;
    json.versionInfo = { ...app.versionInfo };
  }
  return json;
}

function containerJson(container: AppContainer): Record<string, unknown> {
  const { docker } = container;
  const json: Record<string, unknown> = {
    type: container.type,
    docker: {
      image: docker.image,
      forcePullImage: docker.forcePullImage,
      privileged: docker.privileged,
      parameters: docker.parameters.map((p) => ({ ...p })),
    },
    volumes: container.volumes.map((v) => ({ ...v })),
  };
  if (container.portMappings) json.portMappings = container.portMappings.map(portMappingJson);
  return json;
}

function portMappingJson(m: PortMapping): Record<string, unknown> {
  const json: Record<string, unknown> = { containerPort: m.containerPort };
  if (m.hostPort !== undefined) json.hostPort = m.hostPort;
  if (m.labels) json.labels = { ...m.labels };
  if (m.name !== undefined) json.name = m.name;
  json.protocol = m.protocol;
  json.servicePort = m.servicePort;
  return json;
}

function portDefinitionJson(d: PortDefinition): Record<string, unknown> {
  const json: Record<string, unknown> = { port: d.port, protocol: d.protocol };
  if (d.name !== undefined) json.name = d.name;
  if (d.labels) json.labels = { ...d.labels };
  return json;
}

function networkJson(n: Network): Record<string, unknown> {
  const json: Record<string, unknown> = { mode: n.mode };
  if (n.name !== undefined) json.name = n.name;
  if (n.labels) json.labels = { ...n.labels };
  return json;
}

export function healthCheckJson(hc: HealthCheck): Record<string, unknown> {
  const json: Record<string, unknown> = {
    gracePeriodSeconds: hc.gracePeriodSeconds,
    intervalSeconds: hc.intervalSeconds,
    maxConsecutiveFailures: hc.maxConsecutiveFailures,
    timeoutSeconds: hc.timeoutSeconds,
    delaySeconds: hc.delaySeconds,
    protocol: hc.protocol,
  };
  if (hc.command) json.command = { value: hc.command.value };
  if (hc.path !== undefined) json.path = hc.path;
  if (hc.portIndex !== undefined) json.portIndex = hc.portIndex;
  if (hc.port !== undefined) json.port = hc.port;
  if (hc.protocol !== 'COMMAND') json.ipProtocol = hc.ipProtocol;
  if (hc.ignoreHttp1xx !== undefined) json.ignoreHttp1xx = hc.ignoreHttp1xx;
  return json;
}

function readinessCheckJson(rc: ReadinessCheck): Record<string, unknown> {
  return { ...rc, httpStatusCodesForReady: [...rc.httpStatusCodesForReady] };
}
