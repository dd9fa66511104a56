import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@pando/common';
import { PROXIED_BY_HEADER, proxyToLeader, redirect } from './leader.proxy';

/** Reserved on every plugin port: this worker's own status, never proxied. */
export const HOST_STATUS_PATH = '/_pando/health';

/** What the front asks the worker on each request. */
export interface FrontState {
  /** Leading with the plugin app initialised: its request handler. */
  handler(): RequestListener | undefined;
  /** Leading, app not ready yet (starting). */
  leading(): boolean;
  /** The leader's URL when another process leads. */
  leaderUrl(): string | undefined;
  /** The JSON served at HOST_STATUS_PATH. */
  status(): Record<string, unknown>;
}

/**
 * The one HTTP listener of a plugin on this host, bound for the whole life of the worker. It
 * hands requests to the plugin's Nest app while this host leads the plugin, proxies them to the
 * leader while it stands by, and answers 503 while there is no leader (or the app is starting).
 */
export class PluginFrontServer {
  private readonly server: Server;

  constructor(
    private readonly state: FrontState,
    private readonly hostId: string,
    private readonly log: Logger,
  ) {
    this.server = createServer((req, res) => this.handle(req, res));
    // Long-lived streams (SSE) must not be cut by the default request timeouts.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 60_000;
  }

  /** Binds; resolves with the port actually bound (the option may say 0 for any free port). */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if ((req.url ?? '').split('?')[0] === HOST_STATUS_PATH) return json(res, 200, this.state.status());
    const handler = this.state.handler();
    if (handler) return void handler(req, res);
    if (this.state.leading()) return unavailable(res, 'the plugin is starting on this host');
    const leader = this.state.leaderUrl();
    if (!leader) return unavailable(res, 'no host leads this plugin yet');
    if (req.headers[PROXIED_BY_HEADER]) {
      // Proxied once already and still not at the leader: hosts disagree about who leads (a
      // takeover in progress); redirecting beats a proxy loop.
      return redirect(res, new URL(req.url ?? '/', leader).href);
    }
    proxyToLeader(req, res, { target: leader, via: this.hostId, log: this.log });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function unavailable(res: ServerResponse, message: string): void {
  res.setHeader('retry-after', '1');
  json(res, 503, { message });
}
