import { posix } from 'node:path';
import { InputError } from '@pando/common';
import { validate, type TaskInfo } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { containerSpecSchema, type ContainerSpec } from './container-spec';
import { normalizeCapability, type DockerExecutorOptions } from './docker-executor.options';

/** Labels the executor sets itself (to find its containers again); tasks may not override them. */
export const LABEL_AGENT_ID = 'pando.agent-id';
export const LABEL_FRAMEWORK_ID = 'pando.framework-id';
export const LABEL_TASK_ID = 'pando.task-id';
/** The stop grace the container was created with, used when recovery stops an unclaimed one. */
export const LABEL_STOP_GRACE_MS = 'pando.stop-grace-ms';
const RESERVED_LABELS = [LABEL_AGENT_ID, LABEL_FRAMEWORK_ID, LABEL_TASK_ID, LABEL_STOP_GRACE_MS];

/** Docker refuses memory limits below 6 MB and CPU quotas below 0.01 CPU. */
export const MIN_MEMORY_MB = 6;
export const MIN_QUOTA_CPUS = 0.01;

type Raw = Record<string, unknown>;

/** The task's container spec, parsed with defaults applied. Throws InputError listing every problem. */
export function parseContainerSpec(task: TaskInfo): ContainerSpec {
  if (task.container === undefined) throw new InputError(`task '${task.taskId}': ${MISSING_CONTAINER}`, [MISSING_CONTAINER]);
  return validate(containerSpecSchema, task.container, `container of task '${task.taskId}'`);
}

const MISSING_CONTAINER = "the docker executor needs 'container' ({ type: 'DOCKER', docker: { image } })";

/**
 * Every problem with a task's container settings, at once: the spec's syntax (from the schema)
 * and this agent's policy (volume allow-list, privileges, the task's ports and resources). The
 * policy checks read the raw spec defensively so they still run when the syntax is wrong.
 */
export function validateDockerTask(task: TaskInfo, options: DockerExecutorOptions): string[] {
  if (task.container === undefined) return [MISSING_CONTAINER];
  const problems = schemaProblems(task.container);
  const container = task.container as Raw;
  const docker = asRecord(container.docker) ?? {};
  const resources = Resources.fromJson(task.resources);
  checkPortMappings(docker, resources.ranges('ports'), problems);
  checkVolumes(container.volumes, options.volumeAllow, problems);
  checkPrivileges(docker, options, problems);
  checkLabels(docker.labels, problems);
  checkResources(resources, options, problems);
  checkCommand(task, problems);
  return problems;
}

function schemaProblems(container: unknown): string[] {
  try {
    validate(containerSpecSchema, container, 'container');
    return [];
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return err.details.map((detail) => (detail.startsWith('(root)') ? `container${detail.slice(6)}` : `container.${detail}`));
  }
}

function checkPortMappings(docker: Raw, portRanges: Array<[number, number]>, problems: string[]): void {
  const mappings = (asArray(docker.portMappings) ?? []).map((m) => asRecord(m) ?? {});
  if (mappings.length === 0) return;
  if (docker.network === 'none') problems.push("port mappings need network 'bridge' (network is 'none')");
  const portCount = portRanges.reduce((sum, [begin, end]) => sum + end - begin + 1, 0);
  if (docker.network !== 'host' && mappings.length > portCount) {
    problems.push(`${mappings.length} port mappings need as many host ports, but the task has ${portCount} in its 'ports' resources`);
  }
  const containerPorts = new Set<string>();
  const hostPorts = new Set<string>();
  mappings.forEach((mapping, i) => {
    const protocol = typeof mapping.protocol === 'string' ? mapping.protocol : 'tcp';
    if (isInt(mapping.containerPort)) {
      const key = `${mapping.containerPort}/${protocol}`;
      if (containerPorts.has(key)) problems.push(`container.docker.portMappings.${i}: container port ${key} is mapped twice`);
      containerPorts.add(key);
    }
    if (!isInt(mapping.hostPort) || mapping.hostPort === 0) return;
    const key = `${mapping.hostPort}/${protocol}`;
    if (hostPorts.has(key)) problems.push(`container.docker.portMappings.${i}: host port ${key} is used twice`);
    hostPorts.add(key);
    const hostPort = mapping.hostPort;
    if (!portRanges.some(([begin, end]) => hostPort >= begin && hostPort <= end)) {
      problems.push(`container.docker.portMappings.${i}: host port ${hostPort} is not among the task's ports (${formatRanges(portRanges)})`);
    }
  });
}

function checkVolumes(rawVolumes: unknown, allow: readonly string[], problems: string[]): void {
  const volumes = (asArray(rawVolumes) ?? []).map((v) => asRecord(v) ?? {});
  if (volumes.length > 0 && allow.length === 0) {
    problems.push('volumes are not allowed on this agent (its docker-volume-allow option is empty)');
    return;
  }
  const containerPaths = new Set<string>();
  volumes.forEach((volume, i) => {
    const { hostPath, containerPath } = volume;
    if (typeof hostPath === 'string' && hostPath.startsWith('/') && !hostPath.split('/').includes('..')) {
      if (!allow.some((prefix) => isUnder(posix.normalize(hostPath), prefix))) {
        problems.push(`container.volumes.${i}: host path '${hostPath}' is outside the allowed prefixes (${allow.join(', ')})`);
      }
    }
    if (typeof containerPath === 'string') {
      const normalized = posix.normalize(containerPath);
      if (containerPaths.has(normalized)) problems.push(`container.volumes.${i}: container path '${containerPath}' is mounted twice`);
      containerPaths.add(normalized);
    }
  });
}

function checkPrivileges(docker: Raw, options: DockerExecutorOptions, problems: string[]): void {
  if (docker.privileged === true && !options.allowPrivileged) {
    problems.push('privileged containers are not allowed on this agent (docker-allow-privileged is false)');
  }
  const requested = (asArray(docker.capabilities) ?? []).filter((c): c is string => typeof c === 'string');
  const refused = requested.filter((c) => !options.allowCapabilities.has(normalizeCapability(c)));
  if (refused.length > 0) {
    const allowed = [...options.allowCapabilities].join(', ') || 'none';
    problems.push(`capabilities not allowed on this agent: ${refused.join(', ')} (allowed: ${allowed})`);
  }
}

function checkLabels(rawLabels: unknown, problems: string[]): void {
  const labels = asRecord(rawLabels);
  if (!labels) return;
  for (const key of RESERVED_LABELS) {
    if (Object.hasOwn(labels, key)) problems.push(`container.docker.labels: '${key}' is set by the executor and cannot be given`);
  }
}

function checkResources(resources: Resources, options: DockerExecutorOptions, problems: string[]): void {
  const mem = resources.scalar('mem');
  if (mem > 0 && mem < MIN_MEMORY_MB) problems.push(`mem ${mem} MB is below Docker's minimum of ${MIN_MEMORY_MB} MB`);
  const cpus = resources.scalar('cpus');
  if (options.cpuMode === 'quota' && cpus > 0 && cpus < MIN_QUOTA_CPUS) {
    problems.push(`cpus ${cpus} is below Docker's minimum quota of ${MIN_QUOTA_CPUS}`);
  }
}

function checkCommand(task: TaskInfo, problems: string[]): void {
  const command = task.command;
  if (!command) return;
  if (command.shell && !command.value) problems.push("a shell command needs 'command.value'");
  for (const [key, value] of Object.entries(command.env ?? {})) {
    if (key.includes('=') || key.includes('\0') || value.includes('\0')) {
      problems.push(`command.env '${key}': names must not contain '=' or NUL, values must not contain NUL`);
    }
  }
}

/** True when `path` is `prefix` or below it (on a path-segment boundary: /data is not under /dat). */
export function isUnder(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === base || path.startsWith(`${base}/`);
}

function formatRanges(ranges: Array<[number, number]>): string {
  if (ranges.length === 0) return 'none';
  return ranges.map(([b, e]) => (b === e ? `${b}` : `${b}-${e}`)).join(',');
}

function asRecord(value: unknown): Raw | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Raw) : undefined;
}

function asArray(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

function isInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}
