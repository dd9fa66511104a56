import type { IncomingMessage, ServerResponse } from 'node:http';
import { PandoError } from '@pando/common';
import { parseJsonBody } from '../marathon-validation.error';
import type { RequestOrigin } from './change-executor.service';

/**
 * What the controllers use of Express's request and response (the host serves plugins with
 * Nest's Express adapter; its types are not a dependency of the plugin).
 */
export interface HttpRequest extends IncomingMessage {
  body?: unknown;
  ip?: string;
  originalUrl: string;
  path: string;
  query: Record<string, unknown>;
}

export interface HttpResponse extends ServerResponse {
  status(code: number): this;
  json(body: unknown): this;
  send(body?: unknown): this;
  type(contentType: string): this;
}

/** 415: Marathon reads JSON bodies only. */
export class UnsupportedMediaTypeError extends PandoError {
  readonly httpStatus = 415;

  constructor(contentType: string) {
    super('INPUT', `Unsupported Media Type: '${contentType}' (send application/json)`);
  }
}

/**
 * The request's JSON body. The host may have parsed it already (Nest's default body parser;
 * its syntax errors reach MarathonExceptionFilter as 400), or left the stream to us (then a
 * syntax error is a MalformedJsonError, also 400). An empty body is undefined.
 */
export async function readJsonBody(req: HttpRequest): Promise<unknown> {
  const contentType = req.headers['content-type'];
  if (contentType !== undefined && !/^application\/(.+\+)?json\b/i.test(contentType) && !/^text\/plain\b/i.test(contentType)) {
    throw new UnsupportedMediaTypeError(contentType);
  }
  if ((req as { _body?: boolean })._body === true || (req.body !== undefined && !req.readable)) return req.body;
  if (!req.readable) return req.body;
  const text = await readText(req);
  return text.trim().length === 0 ? undefined : parseJsonBody(text);
}

function readText(req: HttpRequest): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A query flag such as `force=true`. */
export function queryFlag(value: unknown): boolean {
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return typeof last === 'string' && last.toLowerCase() === 'true';
}

/** A query value that may repeat (`embed=a&embed=b`, or `embed=a,b`). */
export function queryList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const values = Array.isArray(value) ? value : [value];
  return values.flatMap((v) => (typeof v === 'string' ? v.split(',') : [])).map((v) => v.trim()).filter((v) => v.length > 0);
}

export function queryString(value: unknown): string | undefined {
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return typeof last === 'string' ? last : undefined;
}

export function origin(req: HttpRequest): RequestOrigin {
  return { clientIp: req.ip ?? req.socket.remoteAddress ?? '', uri: req.originalUrl ?? req.url };
}
