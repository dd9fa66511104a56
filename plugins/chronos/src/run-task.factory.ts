import { containerSpecSchema, type ContainerSpec, type TaskSpec } from '@pando/protocol';
import { Resources, type ResourceJson } from '@pando/resources';
import type { Job } from './job.schema';

/**
 * The label every Chronos task carries: its run id (`parseRunId` gives the job and the instant;
 * the task id ends with `:<attempt>`). One label only: every label and variable is validated by
 * the SDK and by the master for each task, which is what a launch burst costs most.
 */
export const RUN_ID_LABEL = 'chronos.pando/run-id';

/** The executor plugin a job's tasks run with: docker for a container job, else the job's `executor`, else command. */
export function jobExecutor(job: Job): string {
  if (job.container) return 'docker';
  return job.executor && job.executor !== '' ? job.executor : 'command';
}

/** What one task of the job takes from an offer (unreserved scalars). */
export function jobResources(job: Job): Resources {
  return Resources.scalars({ cpus: job.cpus, mem: job.mem, disk: job.disk });
}

/**
 * What keeps a valid Chronos job from running on Pando, checked when the job is posted so that it
 * is refused (400) instead of failing at every launch: the Docker container must map to Pando's
 * container spec (host volumes only, HOST or BRIDGE networking, a valid image reference).
 */
export function jobTaskProblems(job: Job): string[] {
  if (!job.container) return [];
  const problems: string[] = [];
  const { container } = job;
  if (container.network === 'USER') problems.push("container.network: USER networks are not supported by Pando's Docker executor; use HOST or BRIDGE");
  container.volumes.forEach((volume, i) => {
    if (!volume.hostPath) problems.push(`container.volumes.${i}.hostPath: required (Pando mounts host paths only)`);
  });
  if (problems.length === 0) {
    const parsed = containerSpecSchema.safeParse(containerSpecOf(job));
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`container.${mapPath(issue.path.map(String))}: ${issue.message}`);
    }
  }
  return problems;
}

/** Chronos's container JSON as Pando's container spec (for the docker executor). */
export function containerSpecOf(job: Job): ContainerSpec | undefined {
  const container = job.container;
  if (!container) return undefined;
  const docker: ContainerSpec['docker'] = {
    image: container.image,
    forcePullImage: container.forcePullImage,
    network: container.network === 'HOST' ? 'host' : 'bridge',
  };
  if (container.parameters.length > 0) docker.parameters = container.parameters.map((p) => ({ key: p.key, value: p.value }));
  const spec: ContainerSpec = { type: 'DOCKER', docker };
  if (container.volumes.length > 0) {
    spec.volumes = container.volumes.map((v) => ({ hostPath: v.hostPath ?? '', containerPath: v.containerPath, mode: v.mode ?? 'RW' }));
  }
  return spec;
}

export interface RunTaskInput {
  job: Job;
  runId: string;
  taskId: string;
  attempt: number;
  scheduledAtMs: number;
  agentId: string;
  resources: ResourceJson[];
  /** A manual run's arguments, replacing the job's. */
  arguments?: string[];
}

/**
 * The task of one attempt. The command runs as Chronos ran it: a shell line (with the arguments
 * appended, shell-quoted) or, with `shell: false`, the command as the executable and the
 * arguments as its argv. The environment has the job's variables, CHRONOS_JOB_NAME and
 * CHRONOS_JOB_OWNER.
 */
export function buildRunTask(input: RunTaskInput): TaskSpec {
  const { job } = input;
  const args = input.arguments ?? job.arguments;
  // Chronos's variables; the run and the attempt are in the task id the agent passes on
  // (PANDO_TASK_ID = <runId>:<attempt>). Each variable costs validation in a launch burst.
  const env: Record<string, string> = { CHRONOS_JOB_NAME: job.name };
  if (job.owner !== '') env.CHRONOS_JOB_OWNER = job.owner;
  for (const variable of job.environmentVariables) env[variable.name] = variable.value;
  const task: TaskSpec = {
    taskId: input.taskId,
    name: job.name,
    agentId: input.agentId,
    resources: input.resources,
    executor: jobExecutor(job),
    labels: { ...(job.labels ?? {}), [RUN_ID_LABEL]: input.runId },
  };
  const command = commandOf(job, args);
  task.command = command ? { ...command, env } : { shell: true, env };
  const container = containerSpecOf(job);
  if (container) task.container = container as unknown as Record<string, unknown>;
  return task;
}

function commandOf(job: Job, args: readonly string[]): { value: string; shell: boolean; arguments?: string[] } | undefined {
  if (job.command.trim() === '') return undefined;
  if (!job.shell) return { value: job.command, shell: false, arguments: [...args] };
  return { value: args.length > 0 ? `${job.command} ${args.map(shellQuote).join(' ')}` : job.command, shell: true };
}

/** Quotes one argument for /bin/sh when it needs it. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_\-+=.,/:@%]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function mapPath(path: string[]): string {
  if (path[0] === 'docker') return path.slice(1).join('.') || 'image';
  return path.join('.');
}
