import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '@pando/common';

/** Set on proxied requests: a host never proxies a request another host already proxied (no loops). */
export const PROXIED_BY_HEADER = 'x-pando-proxied-by';

/** Headers that describe one connection, not the message: never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'upgrade']);

export interface ProxyOptions {
  /** The leader's base URL, e.g. http://host-a:8080. */
  target: string;
  /** This host's id, recorded in PROXIED_BY_HEADER. */
  via: string;
  log: Logger;
  /** How long to wait for the TCP connection to the leader before answering 307. Default 2000 ms. */
  connectTimeoutMs?: number;
}

/**
 * Forwards one request to the leader and streams the answer back as it comes: bodies are piped
 * both ways, headers flushed at once, so server-sent events and long responses pass through
 * unbuffered. When the leader cannot be reached before it answered anything, the client gets a
 * 307 to the same path on the leader (a 307 keeps the method and body on the retry).
 */
export function proxyToLeader(req: IncomingMessage, res: ServerResponse, options: ProxyOptions): void {
  const target = new URL(req.url ?? '/', options.target);
  const headers = forwardedHeaders(req, target, options.via);
  const upstream = httpRequest(target, { method: req.method, headers });
  const connectTimer = setTimeout(() => upstream.destroy(new Error(`no connection to ${target.host} within ${options.connectTimeoutMs ?? 2000} ms`)), options.connectTimeoutMs ?? 2000);
  connectTimer.unref();
  upstream.on('socket', (socket) => {
    if (!socket.connecting) clearTimeout(connectTimer);
    else socket.once('connect', () => clearTimeout(connectTimer));
  });
  upstream.on('response', (answer) => {
    clearTimeout(connectTimer);
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, responseHeaders(answer.headers));
    res.flushHeaders();
    answer.pipe(res);
    answer.on('error', () => res.destroy());
  });
  upstream.on('error', (err) => {
    clearTimeout(connectTimer);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    options.log.warn({ target: target.href, err: err.message }, `cannot proxy ${req.method} ${req.url} to the leader: ${err.message}; redirecting`);
    redirect(res, target.href);
  });
  // A client that goes away (an SSE reader closing) must not leave the upstream stream open.
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

/** 307 Temporary Redirect to `location`, with a short JSON body for clients that show it. */
export function redirect(res: ServerResponse, location: string): void {
  const body = JSON.stringify({ message: `this host is not the leader; try ${location}` });
  res.writeHead(307, { location, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function forwardedHeaders(req: IncomingMessage, target: URL, via: string): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
  const client = req.socket.remoteAddress;
  headers['x-forwarded-for'] = [req.headers['x-forwarded-for'], client].filter(Boolean).join(', ');
  headers['x-forwarded-host'] ??= req.headers.host;
  headers['x-forwarded-proto'] ??= 'http';
  headers[PROXIED_BY_HEADER] = via;
  headers.host = target.host;
  return headers;
}

function responseHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
  return out;
}
