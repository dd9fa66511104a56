import type { z } from 'zod';
import { InputError, newId } from '@pando/common';
import { taskSpecSchema, validate, type Offer, type TaskSpec } from '@pando/protocol';
import { ResourceParseError, Resources, type ResourceJson } from '@pando/resources';

/** A TaskSpec as validated (defaults applied, resources typed): what taskSpec returns. */
export type ValidatedTaskSpec = z.output<typeof taskSpecSchema>;

/** Input of taskSpec: a TaskSpec with an optional id, flexible resources and a shorthand command. */
export interface TaskSpecInput extends Omit<TaskSpec, 'taskId' | 'resources' | 'command'> {
  /** Subject-safe (letters, digits, '_', '-', ':'); generated from the name when absent. */
  taskId?: string;
  /** A Resources bag, Mesos v1 JSON, or Mesos text (`cpus:0.5;mem:64;ports:[31000-31000]`). */
  resources: Resources | readonly ResourceJson[] | string;
  /** A shell line, or a full command spec. */
  command?: string | NonNullable<TaskSpec['command']>;
}

/**
 * Builds a validated TaskSpec for `driver.launch`. Call it once per task, inside the `offers`
 * callback, with the agentId of the offer the task goes to. Throws InputError listing every
 * problem (bad id, bad resources, ...) so a bad task fails here rather than at the master.
 * Pure; not idempotent with a generated id (each call makes a new id).
 */
export function taskSpec(input: TaskSpecInput): ValidatedTaskSpec {
  const { taskId, resources, command, ...rest } = input;
  const spec = {
    ...rest,
    taskId: taskId ?? generatedTaskId(input.name),
    resources: resourcesJson(resources),
    ...(command !== undefined ? { command: typeof command === 'string' ? { value: command, shell: true } : command } : {}),
  };
  return validate(taskSpecSchema, spec, `task '${input.name}'`);
}

/** The resources of an offer as a bag, to check `contains` and `subtract` tasks against. */
export function offerResources(offer: Offer): Resources {
  return Resources.fromJson(offer.resources);
}

/**
 * `<name as a subject-safe slug>-<uuid>`: unique, readable in logs, and usable as a NATS subject
 * token, which task ids must be.
 */
export function generatedTaskId(name: string): string {
  const slug = name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100);
  return newId(slug || 'task');
}

function resourcesJson(resources: TaskSpecInput['resources']): ResourceJson[] {
  if (resources instanceof Resources) return resources.toJson();
  if (typeof resources !== 'string') return [...resources];
  try {
    return Resources.parse(resources).toJson();
  } catch (err) {
    if (err instanceof ResourceParseError) throw new InputError(err.message, err.problems);
    throw err;
  }
}
