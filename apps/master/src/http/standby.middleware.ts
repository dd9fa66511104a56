import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { createLogger, describeError } from '@pando/common';
import type { LeaderInfo } from '../election/leader-info';
import { MasterIdentity } from '../identity/master-identity';
import { MASTER_OPTIONS_TOKEN } from '../master.tokens';
import type { MasterOptions } from '../master.options';

/** Set on requests a standby proxied: the receiving master never proxies them again (no loops). */
export const PROXIED_BY_HEADER = 'x-pando-proxied-by';
const PROXY_TIMEOUT_MS = 15_000;
/** Paths a standby answers itself when it knows no leader (its own state, with no `leader`). */
const LOCAL_STATE_PATHS = new Set(['/master/state', '/master/state.json', '/state', '/state.json']);
/** Hop-by-hop headers are not forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];

type Request = IncomingMessage & { originalUrl?: string };

/**
 * A standby's HTTP: `/health` is its own; everything else belongs to the leader. GET and HEAD
 * are proxied to the leader (so `/master/state` asked of any master shows the leader's state,
 * with `leader` and `leader_info`); other methods, `/master/redirect`, and everything with
 * `--standby-http redirect`, get a 307 to the same path on the leader. With no leader known:
 * the state paths answer this standby's own (empty) state, the rest 503.
 */
@Injectable()
export class StandbyHttpMiddleware implements NestMiddleware {
  private readonly log = createLogger('standby-http');

  constructor(
    private readonly identity: MasterIdentity,
    @Inject(MASTER_OPTIONS_TOKEN) private readonly options: Pick<MasterOptions, 'standbyHttp'>,
  ) {}

  use(req: Request, res: ServerResponse, next: () => void): void {
    if (this.identity.leader) return next();
    const path = req.originalUrl ?? req.url ?? '/';
    const pathname = path.split('?')[0]!;
    if (pathname === '/health') return next();
    const leader = this.identity.leaderInfo;
    if (!leader || req.headers[PROXIED_BY_HEADER] !== undefined) {
      if (LOCAL_STATE_PATHS.has(pathname)) return next();
      return sendJson(res, 503, { error: leader ? 'the master this request was proxied to does not lead any more' : 'no leading master is known yet; retry shortly' });
    }
    const idempotent = req.method === 'GET' || req.method === 'HEAD';
    if (pathname === '/master/redirect' || this.options.standbyHttp === 'redirect' || !idempotent) return redirect(res, leader, pathname === '/master/redirect' ? '' : path);
    this.proxy(req, res, leader, path);
  }

  private proxy(req: Request, res: ServerResponse, leader: LeaderInfo, path: string): void {
    const target = new URL(leader.url);
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: target.host, [PROXIED_BY_HEADER]: this.identity.masterId };
    for (const name of HOP_BY_HOP) delete headers[name];
    const upstream = httpRequest(
      { hostname: target.hostname, port: target.port, method: req.method, path, headers, timeout: PROXY_TIMEOUT_MS },
      (answer) => {
        const answerHeaders = { ...answer.headers };
        for (const name of HOP_BY_HOP) delete answerHeaders[name];
        res.writeHead(answer.statusCode ?? 502, answerHeaders);
        answer.pipe(res);
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error(`no answer within ${PROXY_TIMEOUT_MS} ms`)));
    upstream.on('error', (err) => {
      this.log.warn({ leader: leader.url, path, err: describeError(err) }, `proxying ${path} to the leader failed`);
      if (!res.headersSent) sendJson(res, 502, { error: `the leading master ${leader.masterId} (${leader.url}) did not answer: ${describeError(err)}` });
      else res.destroy();
    });
    upstream.end();
  }
}

function redirect(res: ServerResponse, leader: LeaderInfo, path: string): void {
  res.writeHead(307, { location: `${leader.url}${path}`, 'content-type': 'application/json' });
  res.end(JSON.stringify({ leader: leader.url }));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
