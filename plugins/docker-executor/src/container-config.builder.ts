import type { ContainerCreateOptions, HostConfig } from 'dockerode';
import { InputError } from '@pando/common';
import type { CommandSpec } from '@pando/protocol';
import { Resources } from '@pando/resources';
import type { TaskLaunch } from '@pando/sdk';
import type { ContainerSpec, PortMapping } from './container-spec';
import { normalizeCapability, type CpuMode, type DockerExecutorOptions } from './docker-executor.options';
import { LABEL_AGENT_ID, LABEL_FRAMEWORK_ID, LABEL_STOP_GRACE_MS, LABEL_TASK_ID } from './container-spec.validator';

/** One published port: container port -> host port (one of the task's ports). */
export interface ResolvedPortMapping {
  containerPort: number;
  hostPort: number;
  protocol: 'tcp' | 'udp';
}

/** Everything needed to create a task's container; computed without touching the engine. */
export interface ContainerPlan {
  name: string;
  /** The image with an explicit tag (`busybox` -> `busybox:latest`) so a pull fetches one tag. */
  image: string;
  create: ContainerCreateOptions;
  ports: ResolvedPortMapping[];
  /** `parameters` entries the executor does not apply (logged at launch). */
  ignoredParameters: string[];
}

export interface ContainerPlanInput {
  launch: TaskLaunch;
  spec: ContainerSpec;
  agentId: string;
  options: Pick<DockerExecutorOptions, 'cpuMode'>;
  /** CPUs the engine's host has: a quota above it is refused by Docker, so it is capped. */
  hostCpus?: number;
}

/** Docker names allow [a-zA-Z0-9_.-]; task ids may contain ':' but never '.', so the mapping is one to one. */
export function containerName(taskId: string): string {
  return `pando-${taskId.replaceAll(':', '.')}`;
}

/** Adds ':latest' to an untagged, undigested reference (the engine would pull every tag otherwise). */
export function normalizeImage(image: string): string {
  if (image.includes('@')) return image;
  const lastSlash = image.lastIndexOf('/');
  return image.indexOf(':', lastSlash + 1) >= 0 ? image : `${image}:latest`;
}

export function buildContainerPlan(input: ContainerPlanInput): ContainerPlan {
  const { launch, spec, agentId } = input;
  const { task } = launch;
  const docker = spec.docker;
  const ports = docker.network === 'host' ? [] : resolvePortMappings(docker.portMappings ?? [], launch.ports);
  const hostConfig: HostConfig = {
    NetworkMode: docker.network,
    ...computeLimits(Resources.fromJson(task.resources), input.options.cpuMode, input.hostCpus),
    ...portBindings(ports),
    Binds: (spec.volumes ?? []).map((v) => `${v.hostPath}:${v.containerPath}:${v.mode === 'RO' ? 'ro' : 'rw'}`),
    Privileged: docker.privileged === true,
    CapAdd: (docker.capabilities ?? []).map(normalizeCapability),
  };
  const labels: Record<string, string> = {
    ...docker.labels,
    [LABEL_AGENT_ID]: agentId,
    [LABEL_FRAMEWORK_ID]: task.frameworkId,
    [LABEL_TASK_ID]: task.taskId,
  };
  if (docker.stopGracePeriodMs !== undefined) labels[LABEL_STOP_GRACE_MS] = String(docker.stopGracePeriodMs);
  const create: ContainerCreateOptions = {
    name: containerName(task.taskId),
    Image: normalizeImage(docker.image),
    Env: Object.entries(launch.env).map(([key, value]) => `${key}=${value}`),
    Labels: labels,
    ...commandFor(task.command),
    ...(docker.user !== undefined ? { User: docker.user } : {}),
    ...(docker.workingDir !== undefined ? { WorkingDir: docker.workingDir } : {}),
    ExposedPorts: Object.fromEntries(ports.map((p) => [`${p.containerPort}/${p.protocol}`, {}])),
    Tty: false,
    OpenStdin: false,
    HostConfig: hostConfig,
  };
  return {
    name: containerName(task.taskId),
    image: normalizeImage(docker.image),
    create,
    ports,
    ignoredParameters: (docker.parameters ?? []).map((p) => `${p.key}=${p.value}`),
  };
}

/**
 * Resource limits from the task's resources. mem is a hard limit with no swap on top
 * (MemorySwap = Memory). cpus is a hard quota in 'quota' mode and a relative weight
 * (1024 per CPU, as Mesos does) in 'shares' mode. A missing resource sets no limit.
 */
export function computeLimits(resources: Resources, cpuMode: CpuMode, hostCpus?: number): Partial<HostConfig> {
  const limits: Partial<HostConfig> = {};
  const mem = resources.scalar('mem');
  if (mem > 0) {
    limits.Memory = Math.round(mem * 1024 * 1024);
    limits.MemorySwap = limits.Memory;
  }
  const cpus = resources.scalar('cpus');
  if (cpus > 0) {
    if (cpuMode === 'shares') {
      limits.CpuShares = Math.max(2, Math.round(cpus * 1024));
    } else {
      const capped = hostCpus !== undefined && hostCpus > 0 ? Math.min(cpus, hostCpus) : cpus;
      limits.NanoCpus = Math.round(capped * 1e9);
    }
  }
  return limits;
}

/**
 * Assigns host ports: a fixed hostPort is used as given (the validator checked it is one of the
 * task's ports); hostPort 0 takes the lowest task port no other mapping uses.
 */
export function resolvePortMappings(mappings: readonly PortMapping[], taskPorts: readonly number[]): ResolvedPortMapping[] {
  const used = new Set(mappings.filter((m) => m.hostPort !== 0).map((m) => m.hostPort));
  const free = [...taskPorts].sort((a, b) => a - b).filter((port) => !used.has(port));
  return mappings.map((mapping) => {
    let hostPort = mapping.hostPort;
    if (hostPort === 0) {
      const next = free.shift();
      if (next === undefined) {
        throw new InputError(`port mapping for container port ${mapping.containerPort}: no unused task port left (task ports: ${taskPorts.join(',') || 'none'})`);
      }
      hostPort = next;
    }
    return { containerPort: mapping.containerPort, hostPort, protocol: mapping.protocol ?? 'tcp' };
  });
}

function portBindings(ports: readonly ResolvedPortMapping[]): Pick<HostConfig, 'PortBindings'> {
  if (ports.length === 0) return {};
  const bindings: Record<string, Array<{ HostPort: string }>> = {};
  for (const port of ports) {
    const key = `${port.containerPort}/${port.protocol}`;
    (bindings[key] ??= []).push({ HostPort: String(port.hostPort) });
  }
  return { PortBindings: bindings };
}

/**
 * The container's command. A shell command replaces the image's entrypoint with `/bin/sh -c`
 * (as Mesos does: an entrypoint such as `nginx` would otherwise receive `sh -c ...` as
 * arguments). An argv (`shell: false`) becomes the cmd, `value` first, so the image's
 * entrypoint still runs. No command keeps the image's own entrypoint and cmd.
 */
export function commandFor(command: CommandSpec | undefined): Pick<ContainerCreateOptions, 'Entrypoint' | 'Cmd'> {
  if (!command) return {};
  if (command.shell) return command.value ? { Entrypoint: ['/bin/sh', '-c'], Cmd: [command.value] } : {};
  const argv = [...(command.value ? [command.value] : []), ...(command.arguments ?? [])];
  return argv.length > 0 ? { Cmd: argv } : {};
}
