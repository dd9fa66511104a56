import { z } from 'zod';
import { InputError } from '@pando/common';
import { CronSchedule } from './cron-schedule';
import { parseFixedDurationMs } from './iso-duration';
import { parseIso8601 } from './iso8601-schedule';
import { jobNameProblem } from './job-name';
import { isValidTimeZone } from './zoned-time';

/**
 * A Chronos job as posted to `POST /v1/scheduler/iso8601` (scheduled) or `/dependency`
 * (dependent), with Chronos's defaults. The schema checks each field on its own; `parseJob`
 * adds the rules that span fields and reports every problem at once.
 *
 * Fields Pando does not act on but Chronos clients send (`async`, `highPriority`, `uris`,
 * `fetch`, `executor`, ...) are type-checked when known and kept as posted, unknown ones too,
 * so a GET returns what was posted (with defaults filled in) plus derived fields.
 */

export type JobKind = 'scheduled' | 'dependent';
export const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'] as const;
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number];
export const CONSTRAINT_OPERATORS = ['EQUALS', 'LIKE', 'UNLIKE'] as const;

/** Chronos's defaults: `--task_epsilon` 60 s, `--mesos_task_cpu/mem/disk` 0.1 / 128 MB / 256 MB, retries 2. */
export const JOB_DEFAULTS = {
  epsilon: 'PT60S',
  retries: 2,
  cpus: 0.1,
  mem: 128,
  disk: 256,
} as const;

/** Fields a GET adds that are not part of the job: dropped when a client posts a GET result back. */
export const DERIVED_FIELDS = ['nextRun'] as const;

const problem = (check: (v: string) => string | undefined) =>
  z.string().check((ctx) => {
    const reason = check(ctx.value);
    if (reason !== undefined) ctx.issues.push({ code: 'custom', message: reason, input: ctx.value });
  });

const jobName = problem(jobNameProblem);

/** A non-negative amount that Chronos also accepts as a numeric string ("0.5"); 0 means the default. */
const resource = (fallback: number) =>
  z
    .union([z.number(), z.string().regex(/^\s*\d+(\.\d+)?\s*$/, { error: 'must be a number' }).transform(Number)])
    .pipe(z.number().min(0).max(1e9))
    .transform((v) => (v === 0 ? fallback : v))
    .default(fallback);

const upperEnum = <T extends readonly [string, ...string[]]>(values: T) =>
  z.string().transform((v) => v.toUpperCase()).pipe(z.enum(values));

const count = z.number().int().min(0).default(0);
const dateOrEmpty = problem((v) => (v === '' || !Number.isNaN(Date.parse(v)) ? undefined : `'${v}' is not a date`)).default('');

const volumeSchema = z.looseObject({
  containerPath: z.string().min(1),
  hostPath: z.string().min(1).optional(),
  mode: upperEnum(['RO', 'RW'] as const).optional(),
});

const containerSchema = z.looseObject({
  type: upperEnum(['DOCKER', 'MESOS'] as const).default('DOCKER'),
  image: problem((v) => (v.trim() === '' ? 'must not be empty' : /\s/.test(v) ? `'${v}' must not contain spaces` : undefined)),
  network: upperEnum(['HOST', 'BRIDGE', 'USER'] as const).default('HOST'),
  networkName: z.string().optional(),
  volumes: z.array(volumeSchema).default([]),
  // Chronos read this with asText().toBoolean, so "true" is accepted too.
  forcePullImage: z
    .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])
    .default(false),
  parameters: z.array(z.looseObject({ key: z.string().min(1), value: z.string() })).default([]),
});

const environmentVariableSchema = z.looseObject({
  name: problem((v) => (v === '' ? 'must not be empty' : /[=\0]/.test(v) ? `'${v}' must not contain '=' or NUL` : undefined)),
  value: z.string(),
});

const constraintSchema = z
  .tuple([z.string().min(1), z.string(), z.string()])
  .check((ctx) => {
    const [, operator, value] = ctx.value;
    if (!(CONSTRAINT_OPERATORS as readonly string[]).includes(operator)) {
      ctx.issues.push({ code: 'custom', input: ctx.value, message: `operator '${operator}' must be one of ${CONSTRAINT_OPERATORS.join(', ')}` });
    } else if (operator !== 'EQUALS' && regexProblem(value) !== undefined) {
      ctx.issues.push({ code: 'custom', input: ctx.value, message: `'${value}' is not a regular expression: ${regexProblem(value)}` });
    }
  });

const maxCompletionTime = z.union([
  z.number().int().positive(),
  problem((v) => {
    const parsed = parseFixedDurationMs(v);
    if (typeof parsed !== 'number') return parsed.error;
    return parsed > 0 ? undefined : 'must be longer than zero';
  }),
]);

export const jobSchema = z.looseObject({
  name: jobName,
  command: z.string(),
  shell: z.boolean().default(true),
  arguments: z.array(z.string()).default([]),
  description: z.string().default(''),
  owner: z.string().default(''),
  ownerName: z.string().default(''),
  schedule: problem(isoScheduleProblem).optional(),
  cron: problem(cronProblem).optional(),
  scheduleTimeZone: problem((v) => (v === '' || isValidTimeZone(v) ? undefined : `'${v}' is not a known IANA time zone (like Europe/Berlin)`)).default(''),
  epsilon: problem((v) => {
    const parsed = parseFixedDurationMs(v);
    return typeof parsed === 'number' ? undefined : parsed.error;
  }).default(JOB_DEFAULTS.epsilon),
  parents: z.array(jobName).optional(),
  retries: z.number().int().min(0).max(100).default(JOB_DEFAULTS.retries),
  disabled: z.boolean().default(false),
  concurrent: z.boolean().default(false),
  concurrencyPolicy: z.enum(CONCURRENCY_POLICIES).optional(),
  cpus: resource(JOB_DEFAULTS.cpus),
  mem: resource(JOB_DEFAULTS.mem),
  disk: resource(JOB_DEFAULTS.disk),
  container: containerSchema.optional(),
  environmentVariables: z.array(environmentVariableSchema).default([]),
  constraints: z.array(constraintSchema).default([]),
  /** Kill a run after this long: milliseconds, or an ISO 8601 duration such as PT30M. */
  maxCompletionTime: maxCompletionTime.optional(),
  /** Chronos: when the job fails beyond its retries, its dependents run anyway. */
  softError: z.boolean().default(false),
  successCount: count,
  errorCount: count,
  errorsSinceLastSuccess: count,
  /** Pando's addition to the statistics: scheduled instants that did not run (missed beyond epsilon, or overlapping). */
  skippedCount: count,
  lastSuccess: dateOrEmpty,
  lastError: dateOrEmpty,
  // Known Chronos fields Pando keeps but does not act on: checked for type, never defaulted.
  async: z.boolean().optional(),
  highPriority: z.boolean().optional(),
  uris: z.array(z.string()).optional(),
  fetch: z.array(z.looseObject({ uri: z.string().min(1) })).optional(),
  /**
   * Chronos named a custom Mesos executor here. In Pando it names the agent's executor plugin the
   * task runs with (`command` when empty or absent, `docker` for a container job); anything else
   * (a path, a command line) is refused rather than silently ignored.
   */
  executor: problem((v) => (v === '' || /^[a-z][a-z0-9-]{0,63}$/.test(v) ? undefined : `'${v}' must be empty or the id of an executor plugin (like 'command' or 'docker')`)).optional(),
  executorFlags: z.string().optional(),
  taskInfoData: z.string().optional(),
  runAsUser: z.string().optional(),
  dataProcessingJobType: z.boolean().optional(),
  /** Pando's addition: labels put on every task of the job (executors and tools read them). */
  labels: z.record(z.string().min(1).max(256), z.string().max(4096)).optional(),
});

/** A validated job, Chronos field names, defaults applied, unknown fields kept. Plain JSON. */
export type Job = z.output<typeof jobSchema>;

export interface ParseJobOptions {
  /** Which endpoint the job was posted to: `/iso8601` (scheduled) or `/dependency` (dependent). */
  readonly kind: JobKind;
}

/**
 * Validates a posted job. Throws InputError (400) whose message names every bad field and the
 * problem with it; `details` holds one `field: problem` line each. Nothing is stored by this.
 */
export function parseJob(body: unknown, options: ParseJobOptions): Job {
  const input = normalizeInput(body);
  const result = jobSchema.safeParse(input);
  const problems = result.success ? [] : result.error.issues.map(formatIssue);
  problems.push(...crossFieldProblems(input, options.kind));
  if (problems.length > 0 || !result.success) {
    const named = isRecord(input) && typeof input.name === 'string' && jobNameProblem(input.name) === undefined;
    const raw = named ? `job '${(input as { name: string }).name}'` : 'job';
    const unique = [...new Set(problems)];
    throw new InputError(`invalid ${raw}: ${unique.join('; ')}`, unique);
  }
  return result.data;
}

/** `dependent` when the job has parents; validation guarantees exactly one of parents or a schedule. */
export function jobKind(job: Job): JobKind {
  return job.parents !== undefined && job.parents.length > 0 ? 'dependent' : 'scheduled';
}

/** The job's epsilon in milliseconds (validated at parse time). */
export function epsilonMsOf(job: Job): number {
  const ms = parseFixedDurationMs(job.epsilon);
  if (typeof ms !== 'number') throw new Error(`job '${job.name}': epsilon ${ms.error}`);
  return ms;
}

/** How long a run may take before it is killed, in milliseconds; undefined: no limit. */
export function maxCompletionTimeMsOf(job: Job): number | undefined {
  if (job.maxCompletionTime === undefined) return undefined;
  if (typeof job.maxCompletionTime === 'number') return job.maxCompletionTime;
  const ms = parseFixedDurationMs(job.maxCompletionTime);
  if (typeof ms !== 'number') throw new Error(`job '${job.name}': maxCompletionTime ${ms.error}`);
  return ms;
}

/**
 * The job's concurrency policy: `concurrencyPolicy` when given, else `Allow` for
 * `concurrent: true` and `Forbid` otherwise (Chronos did not run a job twice at once by default).
 */
export function concurrencyPolicyOf(job: Job): ConcurrencyPolicy {
  return job.concurrencyPolicy ?? (job.concurrent ? 'Allow' : 'Forbid');
}

function crossFieldProblems(input: unknown, kind: JobKind): string[] {
  if (!isRecord(input)) return [];
  const problems: string[] = [];
  const has = (field: string) => input[field] !== undefined && input[field] !== null;
  const parents = Array.isArray(input.parents) ? input.parents : undefined;
  if (kind === 'scheduled') {
    if (has('schedule') && has('cron')) problems.push("schedule: give either 'schedule' (ISO 8601) or 'cron', not both");
    if (!has('schedule') && !has('cron')) {
      problems.push("schedule: required: an ISO 8601 repeating interval in 'schedule' (like R/2026-01-01T00:00:00Z/P1D) or a cron expression in 'cron'");
    }
    if (parents !== undefined && parents.length > 0) problems.push('parents: a scheduled job has no parents; post dependent jobs to /v1/scheduler/dependency');
  } else {
    for (const field of ['schedule', 'cron']) {
      if (has(field)) problems.push(`${field}: a dependent job runs after its parents and has no ${field}; post scheduled jobs to /v1/scheduler/iso8601`);
    }
    if (!has('parents') || (parents !== undefined && parents.length === 0)) problems.push('parents: a dependent job needs at least one parent');
  }
  if (parents !== undefined) problems.push(...parentProblems(parents, input.name));
  if (typeof input.command === 'string' && input.command.trim() === '' && !has('container')) {
    problems.push('command: must not be empty (only a container job may leave it empty)');
  }
  const policy = input.concurrencyPolicy;
  if (typeof input.concurrent === 'boolean' && typeof policy === 'string') {
    if ((input.concurrent && policy !== 'Allow') || (!input.concurrent && policy === 'Allow')) {
      problems.push(`concurrencyPolicy: '${policy}' contradicts concurrent: ${input.concurrent}`);
    }
  }
  return problems;
}

function parentProblems(parents: unknown[], name: unknown): string[] {
  const problems: string[] = [];
  const seen = new Set<unknown>();
  parents.forEach((parent, i) => {
    if (seen.has(parent)) problems.push(`parents.${i}: '${String(parent)}' is listed twice`);
    seen.add(parent);
    if (parent === name) problems.push(`parents.${i}: a job cannot be its own parent (cycle ${String(name)} -> ${String(name)})`);
  });
  return problems;
}

function isoScheduleProblem(text: string): string | undefined {
  const looksLikeCron = text.trim().startsWith('@') || /^\S+(\s+\S+){4,5}$/.test(text.trim());
  if (looksLikeCron) return `'${text}' looks like a cron expression; put it in 'cron' (schedule takes R[n]/<start>/<period>)`;
  const parsed = parseIso8601(text);
  return 'error' in parsed ? parsed.error : undefined;
}

function cronProblem(text: string): string | undefined {
  try {
    CronSchedule.parse(text);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Drops derived fields (a client posting a GET result back) and top-level nulls, which some
 * Chronos clients send for "not set": both mean the field is absent.
 */
function normalizeInput(body: unknown): unknown {
  if (!isRecord(body)) return body;
  const copy: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(body)) {
    if (value !== null && !(DERIVED_FIELDS as readonly string[]).includes(field)) copy[field] = value;
  }
  return copy;
}

function formatIssue(issue: z.core.$ZodIssue): string {
  if (issue.path.length === 0 && issue.code === 'invalid_type') return '(body): a job must be a JSON object';
  const path = issue.path.map(String).join('.');
  const missing = issue.code === 'invalid_type' && /received undefined$/.test(issue.message);
  return `${path}: ${missing ? 'required' : issue.message}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
