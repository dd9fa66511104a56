import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@pando/common';
import { freePort } from '@pando/testing';
import { PluginFrontServer, type FrontState } from './plugin-front.server';
import { PROXIED_BY_HEADER } from './leader.proxy';

const log = createLogger('proxy-spec').child({}, { level: 'silent' });

/** A stand-in leader: echoes requests, and streams server-sent events on /events until closed. */
function leaderServer(): Server {
  return createServer((req, res) => {
    if (req.url === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      let n = 0;
      const timer = setInterval(() => res.write(`data: ${++n}\n\n`), 20);
      req.on('close', () => clearInterval(timer));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-leader': 'yes' });
      res.end(JSON.stringify({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString(), proxiedBy: req.headers[PROXIED_BY_HEADER], forwardedHost: req.headers['x-forwarded-host'] }));
    });
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function standbyState(leaderUrl: string | undefined): FrontState {
  return { handler: () => undefined, leading: () => false, leaderUrl: () => leaderUrl, status: () => ({ role: 'standby' }) };
}

describe('standby front server: proxy to the leader', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function leaderUrl(): Promise<{ leader: Server; url: string }> {
    const leader = leaderServer();
    closers.push(() => {
      leader.closeAllConnections();
      return new Promise((r) => leader.close(() => r()));
    });
    return { leader, url: `http://127.0.0.1:${await listen(leader)}` };
  }

  async function standby(leaderUrl: string | undefined): Promise<string> {
    const front = new PluginFrontServer(standbyState(leaderUrl), 'host-b', log);
    const port = await front.listen(0, '127.0.0.1');
    closers.push(() => front.close());
    return `http://127.0.0.1:${port}`;
  }

  it('forwards method, path and body, and returns status, headers and body', async () => {
    const url = await standby((await leaderUrl()).url);
    const res = await fetch(`${url}/v2/apps?embed=tasks`, { method: 'POST', body: '{"id":"web"}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-leader')).toBe('yes');
    expect(await res.json()).toMatchObject({ method: 'POST', url: '/v2/apps?embed=tasks', body: '{"id":"web"}', proxiedBy: 'host-b', forwardedHost: new URL(url).host });
  });

  it('streams server-sent events as they come, and closes the upstream when the client leaves', async () => {
    const { leader, url: target } = await leaderUrl();
    const url = await standby(target);
    const events = await new Promise<string[]>((resolve, reject) => {
      const seen: string[] = [];
      request(`${url}/events`, (res: IncomingMessage) => {
        expect(res.headers['content-type']).toBe('text/event-stream');
        res.on('data', (chunk: Buffer) => {
          seen.push(...chunk.toString().split('\n\n').filter(Boolean));
          // Several events before any end of stream: nothing was buffered until the end.
          if (seen.length >= 3) {
            res.destroy();
            resolve(seen);
          }
        });
      })
        .on('error', reject)
        .end();
    });
    expect(events.slice(0, 3)).toEqual(['data: 1', 'data: 2', 'data: 3']);
    await new Promise((r) => setTimeout(r, 100));
    expect(await new Promise((r) => leader.getConnections((_e, n) => r(n)))).toBe(0);
  });

  it('answers 307 to the leader when the leader cannot be reached', async () => {
    const deadPort = await freePort();
    const url = await standby(`http://127.0.0.1:${deadPort}`);
    const res = await fetch(`${url}/v2/apps/web?force=true`, { method: 'PUT', body: '{}', redirect: 'manual' });
    expect(res.status).toBe(307);
    expect(res.headers.get('location')).toBe(`http://127.0.0.1:${deadPort}/v2/apps/web?force=true`);
  });

  it('never proxies a request twice, and says 503 while no host leads', async () => {
    const url = await standby('http://127.0.0.1:1');
    const looped = await fetch(`${url}/x`, { headers: { [PROXIED_BY_HEADER]: 'host-a' }, redirect: 'manual' });
    expect(looped.status).toBe(307);
    const none = await fetch(`${await standby(undefined)}/x`);
    expect(none.status).toBe(503);
    expect(none.headers.get('retry-after')).toBe('1');
    expect(await fetch(`${url}/_pando/health`).then((r) => r.json())).toEqual({ role: 'standby' });
  });
});
