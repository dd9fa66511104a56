import type { z } from 'zod';
import type { containerSchema, healthCheckSchema, portMappingSchema, readinessCheckSchema } from './app-fields.schema';
import type { AppFields } from './app-fields.schema';
import {
  HEALTH_CHECK_DEFAULTS,
  type AppContainer,
  type HealthCheck,
  type Network,
  type PortDefinition,
  type PortMapping,
  type ReadinessCheck,
} from './app.types';
import type { ProblemCollector } from './marathon-validation.error';

/**
 * Marathon's normalisation of networking, in Pando's terms: the deprecated
 * `container.docker.network` and `container.docker.portMappings` become `networks` and
 * `container.portMappings`, defaults are filled in (one `default` port), and port configuration
 * that does not apply to the network mode is dropped, as Marathon does.
 */

export interface Networking {
  networks: Network[];
  container?: AppContainer;
  portDefinitions: PortDefinition[];
  requirePorts: boolean;
}

const DEFAULT_PORT_DEFINITION: PortDefinition = { port: 0, protocol: 'tcp', name: 'default' };
const DEFAULT_PORT_MAPPING: PortMapping = { containerPort: 0, hostPort: 0, servicePort: 0, protocol: 'tcp', name: 'default' };

type RawContainer = z.output<typeof containerSchema>;
type RawPortMapping = z.output<typeof portMappingSchema>;

export function resolveNetworking(fields: AppFields, problems: ProblemCollector, containerInvalid = false): Networking {
  const networks = resolveNetworks(fields, problems);
  const bridged = networks.some((n) => n.mode !== 'host');
  const container = fields.container ? resolveContainer(fields.container, bridged, problems) : undefined;
  // Named container networks were refused above; only the bridge needs Docker here.
  if (networks.some((n) => n.mode === 'container/bridge') && !container && !containerInvalid) {
    problems.add(['container'], 'a DOCKER container is required for container/bridge networking (Pando runs bridged tasks with Docker)');
  }
  if (bridged) return { networks, container, portDefinitions: [], requirePorts: false };
  const portDefinitions = resolvePortDefinitions(fields, problems);
  return { networks, container, portDefinitions, requirePorts: fields.requirePorts ?? false };
}

function resolveNetworks(fields: AppFields, problems: ProblemCollector): Network[] {
  const dockerNetwork = fields.container?.docker?.network;
  const given = fields.networks ?? [];
  if (dockerNetwork !== undefined && given.length > 0) {
    problems.add([], 'must not specify both container.docker.network and networks');
  }
  let networks: Network[];
  if (given.length > 0) {
    networks = given.map((n) => ({ mode: n.mode, ...(n.name !== undefined ? { name: n.name } : {}), ...(n.labels ? { labels: n.labels } : {}) }));
  } else if (dockerNetwork === 'BRIDGE') {
    networks = [{ mode: 'container/bridge' }];
  } else {
    if (dockerNetwork === 'NONE' || dockerNetwork === 'USER') {
      problems.add(['container', 'docker', 'network'], `${dockerNetwork} networking is not supported by Pando (use HOST or BRIDGE)`);
    }
    networks = [{ mode: 'host' }];
  }
  if (networks.length > 1) problems.add(['networks'], 'Pando supports exactly one network per app');
  networks.forEach((n, i) => {
    if (n.mode === 'container') problems.add(['networks', i, 'mode'], 'named container networks are not supported by Pando (use host or container/bridge)');
  });
  return networks;
}

function resolveContainer(raw: RawContainer, bridged: boolean, problems: ProblemCollector): AppContainer | undefined {
  if (raw.appc !== undefined) problems.add(['container', 'appc'], 'AppC images are not supported by Pando');
  const docker = raw.docker;
  if (!docker) {
    // A MESOS container without an image is just process isolation: Pando runs it as a command.
    if (raw.type === 'DOCKER') problems.add(['container', 'docker'], 'error.path.missing');
    return undefined;
  }
  if (docker.credential !== undefined) problems.add(['container', 'docker', 'credential'], 'registry credentials are not supported by Pando');
  if (docker.pullConfig !== undefined) problems.add(['container', 'docker', 'pullConfig'], 'pullConfig is not supported by Pando');
  raw.volumes.forEach((v, i) => {
    if (v.persistent !== undefined || v.external !== undefined || v.secret !== undefined) {
      problems.add(['container', 'volumes', i], 'only host volumes (containerPath, hostPath, mode) are supported by Pando');
    } else if (v.hostPath === undefined) {
      problems.add(['container', 'volumes', i, 'hostPath'], 'error.path.missing');
    } else if (!v.hostPath.startsWith('/')) {
      problems.add(['container', 'volumes', i, 'hostPath'], 'must be an absolute path (sandbox-relative volumes are not supported by Pando)');
    }
  });
  const mappings = migratePortMappings(raw, problems);
  const container: AppContainer = {
    type: raw.type,
    docker: { image: docker.image, forcePullImage: docker.forcePullImage, privileged: docker.privileged, parameters: docker.parameters },
    volumes: raw.volumes.filter((v) => v.hostPath !== undefined).map((v) => ({ containerPath: v.containerPath, hostPath: v.hostPath!, mode: v.mode })),
  };
  if (bridged) {
    const portMappings = (mappings ?? [DEFAULT_PORT_MAPPING]).map(bridgePortMapping);
    checkUniqueNames(portMappings, ['container', 'portMappings'], problems);
    container.portMappings = portMappings;
  }
  return container;
}

function migratePortMappings(raw: RawContainer, problems: ProblemCollector): RawPortMapping[] | undefined {
  const legacy = raw.docker?.portMappings;
  if (legacy && legacy.length > 0 && raw.portMappings && raw.portMappings.length > 0) {
    problems.add(['container'], 'cannot specify both portMappings and docker.portMappings');
  }
  return raw.portMappings ?? legacy;
}

/** In bridge mode a missing hostPort means "any port", as Marathon keeps for compatibility. */
function bridgePortMapping(m: RawPortMapping | PortMapping): PortMapping {
  return {
    containerPort: m.containerPort,
    hostPort: m.hostPort ?? 0,
    servicePort: m.servicePort,
    protocol: m.protocol,
    ...(m.name !== undefined ? { name: m.name } : {}),
    ...(m.labels ? { labels: m.labels } : {}),
  };
}

function resolvePortDefinitions(fields: AppFields, problems: ProblemCollector): PortDefinition[] {
  const { ports, portDefinitions } = fields;
  if (ports && portDefinitions) {
    const same = ports.length === portDefinitions.length && ports.every((p, i) => p === portDefinitions[i]!.port);
    if (!same) problems.add([], 'cannot specify both ports and port definitions');
  }
  if (ports) {
    const fixed = ports.filter((p) => p !== 0);
    if (new Set(fixed).size !== fixed.length) problems.add(['ports'], 'ports must be unique');
  }
  const definitions: PortDefinition[] = portDefinitions
    ? portDefinitions.map((d) => ({ port: d.port, protocol: d.protocol, ...(d.name !== undefined ? { name: d.name } : {}), ...(d.labels ? { labels: d.labels } : {}) }))
    : ports
      ? ports.map((port) => ({ port, protocol: 'tcp' as const }))
      : [DEFAULT_PORT_DEFINITION];
  checkUniqueNames(definitions, ['portDefinitions'], problems);
  const fixed = definitions.map((d) => d.port).filter((p) => p !== 0);
  if (new Set(fixed).size !== fixed.length) problems.add(['portDefinitions'], 'Ports must be unique.');
  return definitions;
}

function checkUniqueNames(ports: ReadonlyArray<{ name?: string }>, path: PropertyKey[], problems: ProblemCollector): void {
  const names = ports.flatMap((p) => (p.name !== undefined ? [p.name] : []));
  if (new Set(names).size !== names.length) problems.add(path, 'Port names must be unique.');
}

type RawHealthCheck = z.output<typeof healthCheckSchema>;

/** Fills Marathon's defaults (portIndex 0, path '/') and checks what the agent will need. */
export function resolveHealthChecks(raw: readonly RawHealthCheck[], portCount: number, problems: ProblemCollector): HealthCheck[] {
  if (raw.length > 1) problems.add(['healthChecks'], 'Pando runs at most one health check per task');
  return raw.map((hc, i) => {
    const protocol = hc.protocol ?? (hc.command ? 'COMMAND' : 'HTTP');
    if (protocol === 'HTTPS' || protocol === 'MESOS_HTTPS') {
      problems.add(['healthChecks', i, 'protocol'], `${protocol} health checks are not supported by Pando (use HTTP, TCP or COMMAND)`);
    }
    const check: HealthCheck = {
      protocol: protocol === 'HTTPS' ? 'HTTP' : protocol === 'MESOS_HTTPS' ? 'MESOS_HTTP' : protocol,
      gracePeriodSeconds: hc.gracePeriodSeconds,
      intervalSeconds: hc.intervalSeconds,
      timeoutSeconds: hc.timeoutSeconds,
      maxConsecutiveFailures: hc.maxConsecutiveFailures,
      delaySeconds: hc.delaySeconds,
      ipProtocol: hc.ipProtocol ?? 'IPv4',
      ...(hc.ignoreHttp1xx !== undefined ? { ignoreHttp1xx: hc.ignoreHttp1xx } : {}),
    };
    if (protocol === 'COMMAND') {
      if (!hc.command) problems.add(['healthChecks', i, 'command'], 'error.path.missing');
      else check.command = { value: hc.command.value };
      return check;
    }
    if (hc.port !== undefined && hc.portIndex === undefined) check.port = hc.port;
    else check.portIndex = hc.portIndex ?? HEALTH_CHECK_DEFAULTS.portIndex;
    if (check.portIndex !== undefined && check.portIndex >= portCount) {
      problems.add(['healthChecks', i], 'Health check port indices must address an element of the ports array or container port mappings.');
    }
    if (protocol === 'HTTP' || protocol === 'MESOS_HTTP' || protocol === 'HTTPS' || protocol === 'MESOS_HTTPS') {
      check.path = hc.path ?? HEALTH_CHECK_DEFAULTS.path;
    }
    return check;
  });
}

type RawReadinessCheck = z.output<typeof readinessCheckSchema>;

export function resolveReadinessChecks(raw: readonly RawReadinessCheck[], portNames: readonly string[], problems: ProblemCollector): ReadinessCheck[] {
  if (raw.length > 1) problems.add(['readinessChecks'], `got ${raw.length}, expected 1 or less`);
  raw.forEach((rc, i) => {
    if (!portNames.includes(rc.portName)) problems.add(['readinessChecks', i, 'portName'], `No port definition reference for portName ${rc.portName}`);
    if (rc.timeoutSeconds >= rc.intervalSeconds) {
      problems.add(['readinessChecks', i, 'timeoutSeconds'], `got ${rc.timeoutSeconds}, expected less than ${rc.intervalSeconds}`);
    }
  });
  return raw.map((rc) => ({ ...rc, httpStatusCodesForReady: [...rc.httpStatusCodesForReady] }));
}

/** Names of the task's ports, which readiness checks refer to. */
export function portNames(networking: Networking): string[] {
  const ports = networking.networks.some((n) => n.mode !== 'host') ? (networking.container?.portMappings ?? []) : networking.portDefinitions;
  return ports.flatMap((p) => (p.name !== undefined ? [p.name] : []));
}
