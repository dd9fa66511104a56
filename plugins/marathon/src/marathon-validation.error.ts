import type { z } from 'zod';
import { InputError } from '@pando/common';

/** One entry of Marathon's error body: a JSON path (`/container/docker/image`) and its problems. */
export interface MarathonErrorDetail {
  path: string;
  errors: string[];
}

/** Marathon's error body for rejected input: `{message, details: [{path, errors}]}`. */
export interface MarathonErrorJson {
  message: string;
  details?: MarathonErrorDetail[];
}

/**
 * An app (or update) that Marathon would refuse with 422 Unprocessable Entity. `details` lists
 * every problem found, grouped by path, so a client sees them all at once.
 */
export class MarathonValidationError extends InputError {
  readonly httpStatus = 422;

  constructor(readonly marathonDetails: MarathonErrorDetail[]) {
    super(
      'Object is not valid',
      marathonDetails.flatMap((d) => d.errors.map((e) => `${d.path}: ${e}`)),
    );
  }

  toMarathonJson(): MarathonErrorJson {
    return { message: 'Object is not valid', details: this.marathonDetails };
  }
}

/** A body that is not JSON at all: Marathon answers 400 Bad Request. */
export class MalformedJsonError extends InputError {
  readonly httpStatus = 400;

  constructor(readonly reason: string) {
    super(`Invalid JSON: ${reason}`);
  }

  toMarathonJson(): MarathonErrorJson {
    return { message: 'Invalid JSON', details: [{ path: '/', errors: [this.reason] }] };
  }
}

/** Parses a request body, turning a syntax error into MalformedJsonError (400). */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new MalformedJsonError(err instanceof Error ? err.message : String(err));
  }
}

/** A path as a list of keys and indices, as zod reports it. */
export type PathParts = ReadonlyArray<PropertyKey>;

/**
 * Marathon's (accord's) path notation: object keys are '/'-separated, array indices are put in
 * parentheses after their array: ['constraints', 0] -> '/constraints(0)',
 * ['healthChecks', 0, 'path'] -> '/healthChecks(0)/path', [] -> '/'.
 */
export function marathonPath(parts: PathParts): string {
  let path = '';
  for (const part of parts) {
    if (typeof part === 'number') path += `(${part})`;
    else path += `/${String(part)}`;
  }
  return path === '' ? '/' : path;
}

/** Collects problems by path, keeping the order in which paths were first seen. */
export class ProblemCollector {
  private readonly byPath = new Map<string, string[]>();

  add(parts: PathParts, error: string): void {
    const path = marathonPath(parts);
    const errors = this.byPath.get(path) ?? [];
    if (!errors.includes(error)) errors.push(error);
    this.byPath.set(path, errors);
  }

  addZodIssues(prefix: PathParts, issues: readonly z.core.$ZodIssue[]): void {
    for (const issue of issues) this.add([...prefix, ...issue.path], issue.message);
  }

  get isEmpty(): boolean {
    return this.byPath.size === 0;
  }

  details(): MarathonErrorDetail[] {
    return [...this.byPath].map(([path, errors]) => ({ path, errors }));
  }

  /** Throws MarathonValidationError when anything was collected. */
  throwIfAny(): void {
    if (!this.isEmpty) throw new MarathonValidationError(this.details());
  }
}

/**
 * Messages in the words Marathon uses, so that tools which map them (DC/OS UI, client libraries)
 * keep working: Play JSON's codes for type errors, accord's "got X, expected Y" for ranges.
 */
export function marathonIssueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'error.path.missing';
      return typeMessage(issue.expected);
    case 'too_small':
      if (issue.origin === 'string') return 'must not be empty';
      if (issue.origin === 'array') return `must have at least ${String(issue.minimum)} items`;
      return issue.inclusive ? `got ${String(issue.input)}, expected ${String(issue.minimum)} or more` : `got ${String(issue.input)}, expected more than ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'string') return `must not be longer than ${String(issue.maximum)} characters`;
      if (issue.origin === 'array') return `must have at most ${String(issue.maximum)} items`;
      return issue.inclusive ? `got ${String(issue.input)}, expected ${String(issue.maximum)} or less` : `got ${String(issue.input)}, expected less than ${String(issue.maximum)}`;
    case 'invalid_value':
      return `got ${JSON.stringify(issue.input)}, expected one of: [${issue.values.map(String).join(', ')}]`;
    case 'invalid_format':
      return issue.format === 'regex' ? `must fully match regular expression '${String((issue as { pattern?: unknown }).pattern ?? '')}'` : 'error.invalid';
    default:
      return undefined;
  }
}

function typeMessage(expected: string): string {
  switch (expected) {
    case 'number':
      return 'error.expected.jsnumber';
    case 'int':
      return 'error.expected.int';
    case 'string':
      return 'error.expected.jsstring';
    case 'boolean':
      return 'error.expected.jsboolean';
    case 'array':
    case 'tuple':
      return 'error.expected.jsarray';
    default:
      return 'error.expected.jsobject';
  }
}
