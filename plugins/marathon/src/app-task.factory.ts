import type { Offer, TaskSpec } from '@pando/protocol';
import { isBridged, type AppDefinition, type HealthCheck, type PortMapping } from './app.types';
import type { AppTask } from './app-task';
import type { OfferMatch } from './offer.matcher';
import { appIdToHostname } from './path-id';
import { newPandoTaskId, toMarathonTaskId } from './task-id';

/**
 * Turns an app, an offer it matched and the match (resources, host ports) into the TaskSpec
 * Pando launches: the Docker executor for apps with a docker image, the command executor
 * otherwise, with Marathon's environment variables and the app's health check for the agent.
 */

/** Labels Pando puts on every task so that a restarted plugin can rebuild its task list. */
export const TASK_LABEL_APP_ID = 'pando.marathon/app-id';
export const TASK_LABEL_APP_VERSION = 'pando.marathon/app-version';
export const TASK_LABEL_HOST_PORTS = 'pando.marathon/host-ports';

export interface TaskFactoryInput {
  app: AppDefinition;
  offer: Pick<Offer, 'agentId' | 'hostname'>;
  match: OfferMatch;
  /** Pando-spelled task id; a new one by default. */
  taskId?: string;
}

export function buildTaskSpec(input: TaskFactoryInput): TaskSpec {
  const { app, offer, match } = input;
  const taskId = input.taskId ?? newPandoTaskId(app.id);
  const docker = app.container?.docker;
  const spec: TaskSpec = {
    taskId,
    name: appIdToHostname(app.id),
    agentId: offer.agentId,
    resources: match.resources,
    executor: docker ? 'docker' : 'command',
    command: { ...commandOf(app), env: taskEnv(app, taskId, match.hostPorts) },
    labels: {
      ...app.labels,
      [TASK_LABEL_APP_ID]: app.id,
      [TASK_LABEL_APP_VERSION]: app.version,
      [TASK_LABEL_HOST_PORTS]: match.hostPorts.join(','),
    },
  };
  if (app.user !== undefined) spec.command!.user = app.user;
  if (docker) spec.container = containerOf(app, match.hostPorts);
  if (app.healthChecks[0]) spec.healthCheck = healthCheckOf(app.healthChecks[0], match.hostPorts);
  if (app.taskKillGracePeriodSeconds !== undefined) spec.killGracePeriodMs = app.taskKillGracePeriodSeconds * 1000;
  return spec;
}

/** The task record the plugin keeps from the moment it asks for the launch. */
export function stagedAppTask(spec: TaskSpec, app: AppDefinition, offer: Pick<Offer, 'agentId' | 'hostname' | 'attributes'>, hostPorts: readonly number[], now: number): AppTask {
  return {
    taskId: spec.taskId,
    appId: app.id,
    agentId: offer.agentId,
    host: offer.hostname,
    attributes: offer.attributes,
    hostPorts: [...hostPorts],
    version: app.version,
    state: 'STAGING',
    stagedAt: now,
  };
}

/**
 * `cmd` runs through `/bin/sh -c`; `args` is an argv (for a container, it replaces the image's
 * CMD and keeps its ENTRYPOINT); a container without either runs the image's default command.
 */
function commandOf(app: AppDefinition): NonNullable<TaskSpec['command']> {
  if (app.cmd !== undefined) return { value: app.cmd, shell: true };
  if (app.args && app.args.length > 0) {
    // The command executor follows Mesos: `value` is the program, `arguments` the whole argv.
    return app.container ? { shell: false, arguments: [...app.args] } : { shell: false, value: app.args[0], arguments: [...app.args] };
  }
  return { shell: false };
}

/**
 * Marathon's task environment. Ports come in the app's port order, which the agent cannot
 * know (it sees a set of port resources), so PORT0.., PORT, PORTS are set here; the agent adds
 * HOST and its PANDO_* ids. The app's own `env` wins over everything.
 */
export function taskEnv(app: AppDefinition, taskId: string, hostPorts: readonly number[]): Record<string, string> {
  const env: Record<string, string> = {
    MARATHON_APP_ID: app.id,
    MARATHON_APP_VERSION: app.version,
    MARATHON_APP_RESOURCE_CPUS: String(app.cpus),
    MARATHON_APP_RESOURCE_MEM: String(app.mem),
    MARATHON_APP_RESOURCE_DISK: String(app.disk),
    MARATHON_APP_RESOURCE_GPUS: String(app.gpus),
    MESOS_TASK_ID: toMarathonTaskId(taskId),
  };
  if (app.container) env.MARATHON_APP_DOCKER_IMAGE = app.container.docker.image;
  const labelKeys = Object.keys(app.labels).filter((k) => k.length <= 512 && app.labels[k]!.length <= 512);
  env.MARATHON_APP_LABELS = labelKeys.map(envName).join(' ');
  for (const key of labelKeys) env[`MARATHON_APP_LABEL_${envName(key)}`] = app.labels[key]!;
  Object.assign(env, portEnv(app, hostPorts));
  return { ...env, ...app.env };
}

function portEnv(app: AppDefinition, hostPorts: readonly number[]): Record<string, string> {
  const env: Record<string, string> = {};
  if (hostPorts.length === 0) return env;
  hostPorts.forEach((port, i) => {
    env[`PORT${i}`] = String(port);
  });
  env.PORT = String(hostPorts[0]);
  env.PORTS = hostPorts.join(',');
  const declared = isBridged(app)
    ? (app.container?.portMappings ?? []).map((m) => ({ name: m.name, port: m.containerPort }))
    : app.portDefinitions.map((d) => ({ name: d.name, port: d.port }));
  declared.forEach(({ name, port }, i) => {
    const host = hostPorts[i];
    if (host === undefined) return;
    if (name !== undefined) env[`PORT_${envName(name)}`] = String(host);
    if (port !== 0) env[`PORT_${port}`] = String(host);
  });
  return env;
}

/** Marathon's sanitising of names into variable names: upper case, anything else becomes '_'. */
function envName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_').toUpperCase();
}

/** Pando's container spec (see the Docker executor): bridge or host network, explicit host ports. */
function containerOf(app: AppDefinition, hostPorts: readonly number[]): Record<string, unknown> {
  const container = app.container!;
  const bridged = isBridged(app);
  const docker: Record<string, unknown> = {
    image: container.docker.image,
    forcePullImage: container.docker.forcePullImage,
    network: bridged ? 'bridge' : 'host',
    privileged: container.docker.privileged,
    parameters: container.docker.parameters.map((p) => ({ ...p })),
  };
  if (bridged) docker.portMappings = dockerPortMappings(container.portMappings ?? [], hostPorts);
  return { type: 'DOCKER', docker, volumes: container.volumes.map((v) => ({ hostPath: v.hostPath, containerPath: v.containerPath, mode: v.mode })) };
}

/** containerPort 0 means "same as the host port"; `tcp,udp` publishes both protocols. */
function dockerPortMappings(mappings: readonly PortMapping[], hostPorts: readonly number[]): Array<{ containerPort: number; hostPort: number; protocol: 'tcp' | 'udp' }> {
  return mappings
    .filter((m) => m.hostPort !== undefined)
    .flatMap((m, i) => {
      const hostPort = hostPorts[i]!;
      const containerPort = m.containerPort === 0 ? hostPort : m.containerPort;
      const protocols = m.protocol === 'tcp,udp' ? (['tcp', 'udp'] as const) : [m.protocol];
      return protocols.map((protocol) => ({ containerPort, hostPort, protocol }));
    });
}

/**
 * The one health check Pando's agent runs next to the task, in the protocol's shape
 * (`healthCheckSchema`: `type` plus `http`/`tcp`/`command`); the MESOS_ variants run the same
 * way. The port is resolved here from portIndex to the host port, because the agent sees the
 * task's ports as a set and cannot know the app's port order; the agent addresses 127.0.0.1.
 */
export function healthCheckOf(hc: HealthCheck, hostPorts: readonly number[]): Record<string, unknown> {
  const type = hc.protocol === 'MESOS_HTTP' || hc.protocol === 'HTTP' ? 'HTTP' : hc.protocol === 'MESOS_TCP' || hc.protocol === 'TCP' ? 'TCP' : 'COMMAND';
  const check: Record<string, unknown> = {
    type,
    gracePeriodSeconds: hc.gracePeriodSeconds,
    intervalSeconds: hc.intervalSeconds,
    timeoutSeconds: hc.timeoutSeconds,
    maxConsecutiveFailures: hc.maxConsecutiveFailures,
    delaySeconds: hc.delaySeconds,
  };
  if (type === 'COMMAND') {
    check.command = { value: hc.command!.value };
    return check;
  }
  const port = healthCheckPort(hc, hostPorts);
  check[type === 'HTTP' ? 'http' : 'tcp'] = type === 'HTTP' ? { ...port, path: hc.path ?? '/' } : port;
  return check;
}

function healthCheckPort(hc: HealthCheck, hostPorts: readonly number[]): { port: number } | { portIndex: number } {
  if (hc.port !== undefined && hc.port > 0) return { port: hc.port };
  const index = hc.portIndex ?? 0;
  const hostPort = hostPorts[index];
  return hostPort !== undefined ? { port: hostPort } : { portIndex: index };
}
