import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { z } from 'zod';
import { errorFromJson, toPandoError, UnavailableError, type Logger } from '@pando/common';
import { decode, encode } from './codec';

/**
 * The only way Pando code serves or calls a subject. Every inbound message is validated; a
 * malformed one is logged and, when a reply is expected, answered with a typed error. Handler
 * failures are caught the same way, so no message can crash a process.
 */
export interface ServeOptions {
  /** NATS queue group, when several processes share the work. */
  queue?: string;
}

/** Serves request/reply: the handler's return value is the reply body. */
export function serveRequests<S extends z.ZodType>(
  nc: NatsConnection,
  subject: string,
  schema: S,
  what: string,
  handler: (message: z.infer<S>, msg: Msg) => unknown,
  log: Logger,
  options: ServeOptions = {},
): Subscription {
  return nc.subscribe(subject, {
    queue: options.queue,
    callback: (err, msg) => {
      if (err) {
        log.warn({ err: err.message, subject }, `subscription error on ${subject}`);
        return;
      }
      void answer(msg, schema, what, handler, log);
    },
  });
}

async function answer<S extends z.ZodType>(
  msg: Msg,
  schema: S,
  what: string,
  handler: (message: z.infer<S>, msg: Msg) => unknown,
  log: Logger,
): Promise<void> {
  let reply: unknown;
  try {
    const message = decode(schema, msg.data, what);
    reply = await handler(message, msg);
  } catch (err) {
    const error = toPandoError(err);
    log.warn({ subject: msg.subject, code: error.code, details: error.details }, error.message);
    reply = { ok: false, error: error.toJson() };
  }
  if (msg.reply) msg.respond(encode(reply));
}

/** Serves publish-only messages: malformed ones are logged and dropped. */
export function serveMessages<S extends z.ZodType>(
  nc: NatsConnection,
  subject: string,
  schema: S,
  what: string,
  handler: (message: z.infer<S>, msg: Msg) => void | Promise<void>,
  log: Logger,
  options: ServeOptions = {},
): Subscription {
  return nc.subscribe(subject, {
    queue: options.queue,
    callback: (err, msg) => {
      if (err) {
        log.warn({ err: err.message, subject }, `subscription error on ${subject}`);
        return;
      }
      try {
        const message = decode(schema, msg.data, what);
        const result = handler(message, msg);
        if (result instanceof Promise) result.catch((e: unknown) => logFailure(log, msg.subject, e));
      } catch (e) {
        logFailure(log, msg.subject, e);
      }
    },
  });
}

function logFailure(log: Logger, subject: string, err: unknown): void {
  const error = toPandoError(err);
  log.warn({ subject, code: error.code, details: error.details }, error.message);
}

/** UnavailableError details from request(): nobody serves the subject, or the answer was late. */
export const NO_RESPONDERS = 'no-responders';
export const TIMED_OUT = 'timeout';

/** True when a request failed because nobody serves its subject (not merely a slow answer). */
export function isNoResponders(err: unknown): boolean {
  return err instanceof UnavailableError && err.details.includes(NO_RESPONDERS);
}

/** Publishes one message (fire and forget; reliability is the caller's protocol). */
export function publish(nc: NatsConnection, subject: string, message: unknown): void {
  nc.publish(subject, encode(message));
}

/**
 * Sends a request and validates the reply. A reply of the form {ok: false, error} is thrown
 * as the typed error it carries; no responder or a timeout is an UnavailableError.
 */
export async function request<S extends z.ZodType>(
  nc: NatsConnection,
  subject: string,
  message: unknown,
  replySchema: S,
  what: string,
  timeoutMs = 5000,
): Promise<z.infer<S>> {
  let data: Uint8Array;
  try {
    const reply = await nc.request(subject, encode(message), { timeout: timeoutMs });
    data = reply.data;
  } catch (err) {
    // 'no-responders' (nobody serves the subject: the peer is gone) is told apart from 'timeout'
    // (the peer may only be slow), so callers can react differently.
    const kind = (err as { isNoResponders?: () => boolean }).isNoResponders?.() ? NO_RESPONDERS : TIMED_OUT;
    throw new UnavailableError(`no answer to ${what} on ${subject}: ${err instanceof Error ? err.message : String(err)}`, [kind]);
  }
  const body = decode(replySchema, data, `${what} reply`) as { ok?: boolean; error?: Parameters<typeof errorFromJson>[0] };
  if (body && body.ok === false && body.error) throw errorFromJson(body.error);
  return body as z.infer<S>;
}
