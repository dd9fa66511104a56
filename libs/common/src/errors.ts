/**
 * The small typed error family used across Pando. Every error that crosses a boundary
 * (a NATS reply, an HTTP response, a log line) is one of these, so callers can branch on
 * `code` instead of parsing messages.
 */
export type PandoErrorCode = 'INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'NOT_SUPPORTED' | 'UNAVAILABLE' | 'INTERNAL';

/** The JSON form of an error, as carried in replies. */
export interface ErrorJson {
  code: PandoErrorCode;
  message: string;
  details?: string[];
}

export class PandoError extends Error {
  constructor(
    readonly code: PandoErrorCode,
    message: string,
    readonly details: string[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }

  toJson(): ErrorJson {
    return this.details.length > 0
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

/** Bad input from a caller: validation reports every problem at once in `details`. */
export class InputError extends PandoError {
  constructor(message: string, details: string[] = []) {
    super('INPUT', message, details);
  }
}

export class NotFoundError extends PandoError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

export class ConflictError extends PandoError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

export class NotSupportedError extends PandoError {
  constructor(message: string) {
    super('NOT_SUPPORTED', message);
  }
}

export class UnavailableError extends PandoError {
  constructor(message: string, details: string[] = []) {
    super('UNAVAILABLE', message, details);
  }
}

/** Turns anything thrown into the error family, keeping typed errors as they are. */
export function toPandoError(err: unknown): PandoError {
  if (err instanceof PandoError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new PandoError('INTERNAL', message);
}

/** Rebuilds a typed error from its JSON form (e.g. from a reply). */
export function errorFromJson(json: ErrorJson): PandoError {
  return new PandoError(json.code, json.message, json.details ?? []);
}

/** A readable one-line description of anything thrown, for logs and task messages. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
