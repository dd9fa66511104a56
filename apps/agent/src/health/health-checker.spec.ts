process.env.PANDO_LOG_LEVEL ??= 'warn';

import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@pando/common';
import { healthCheckSchema, type HealthCheckInput } from '@pando/protocol';
import { FakeClock, freePort } from '@pando/testing';
import { HealthChecker, type ProbeResult } from './health-checker';
import { httpProbe, shellProbe, tcpProbe } from './health-probes';
import { healthCheckProblems } from './health-check.validator';

const log = createLogger('test');

/** Lets the probe's promise settle between clock steps. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('health check spec', () => {
  it("takes Mesos's defaults and checks that the parts match the type", () => {
    expect(healthCheckSchema.parse({ type: 'HTTP' })).toEqual({
      type: 'HTTP',
      delaySeconds: 15,
      intervalSeconds: 10,
      timeoutSeconds: 20,
      maxConsecutiveFailures: 3,
      gracePeriodSeconds: 10,
    });
    expect(healthCheckSchema.parse({ type: 'HTTP', http: { portIndex: 1 } }).http).toEqual({ portIndex: 1, path: '/', scheme: 'http' });
    const bad = healthCheckSchema.safeParse({ type: 'COMMAND', tcp: { port: 1, portIndex: 0 }, intervalSeconds: 0 });
    const messages = bad.success ? [] : bad.error.issues.map((i) => i.message);
    expect(messages).toEqual(
      expect.arrayContaining(["give either 'port' or 'portIndex', not both", 'intervalSeconds must be at least 0.1', "a COMMAND health check needs 'command.value'", "'tcp' does not belong to a COMMAND health check"]),
    );
  });

  it('is validated at launch, with the task ports', () => {
    const task = (healthCheck: HealthCheckInput) => ({ taskId: 't', name: 't', frameworkId: 'fw', agentId: 'a', executor: 'command', resources: [], healthCheck });
    expect(healthCheckProblems(task({ type: 'TCP' }), [31000], undefined)).toEqual([]);
    expect(healthCheckProblems(task({ type: 'HTTP', http: { portIndex: 2, path: '/' } }), [31000], undefined)).toEqual([
      'healthCheck: portIndex 2 is out of range: the task has 1 port(s)',
    ]);
    expect(healthCheckProblems(task({ type: 'TCP', tcp: { port: 8080 } }), [], undefined)).toEqual([]);
    expect(healthCheckProblems(task({ type: 'BOGUS' } as unknown as HealthCheckInput), [], undefined)[0]).toMatch(/^healthCheck.type: health check type must be HTTP, TCP or COMMAND/);
  });
});

describe('HealthChecker', () => {
  let clock: FakeClock;
  let results: boolean[];
  let events: string[];

  beforeEach(() => {
    clock = new FakeClock();
    results = [];
    events = [];
  });

  function checker(spec: HealthCheckInput, state: { launchedAt?: number; healthy?: boolean } = {}): HealthChecker {
    const probe = async (): Promise<ProbeResult> => {
      const ok = results.shift() ?? false;
      return { ok, message: ok ? 'fine' : 'broken' };
    };
    const listener = {
      healthChanged: (healthy: boolean) => events.push(healthy ? 'healthy' : 'unhealthy'),
      failedTooOften: (failures: number) => events.push(`kill after ${failures}`),
    };
    const c = new HealthChecker(healthCheckSchema.parse(spec), probe, listener, clock, { launchedAt: state.launchedAt ?? clock.now(), healthy: state.healthy }, log);
    c.start();
    return c;
  }

  async function step(ms: number): Promise<void> {
    clock.advance(ms);
    await settle();
  }

  it('waits delaySeconds, reports only changes, and kills after maxConsecutiveFailures', async () => {
    results = [true, true, false, true, false, false, false];
    checker({ type: 'TCP', delaySeconds: 5, intervalSeconds: 1, gracePeriodSeconds: 0, maxConsecutiveFailures: 3 });
    await step(4999);
    expect(events).toEqual([]);
    for (let i = 0; i < 8; i++) await step(i === 0 ? 1 : 1000);
    expect(events).toEqual(['healthy', 'unhealthy', 'healthy', 'unhealthy', 'kill after 3']);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('ignores failures during the grace period until the first success', async () => {
    results = [false, false, false, true, false, false];
    checker({ type: 'TCP', delaySeconds: 0, intervalSeconds: 1, gracePeriodSeconds: 2.5, maxConsecutiveFailures: 2 });
    for (let i = 0; i < 6; i++) await step(i === 0 ? 0 : 1000);
    // t=0,1,2 fail inside the grace period (ignored); t=3 passes; t=4,5 fail: killed.
    expect(events).toEqual(['healthy', 'unhealthy', 'kill after 2']);
  });

  it('counts failures at once for a task that was healthy before an agent restart', async () => {
    results = [false];
    checker({ type: 'TCP', delaySeconds: 0, gracePeriodSeconds: 100, maxConsecutiveFailures: 1 }, { healthy: true });
    await step(0);
    expect(events).toEqual(['unhealthy', 'kill after 1']);
  });

  it('never kills with maxConsecutiveFailures 0', async () => {
    results = [false, false, false, false];
    const c = checker({ type: 'TCP', delaySeconds: 0, intervalSeconds: 1, gracePeriodSeconds: 0, maxConsecutiveFailures: 0 });
    for (let i = 0; i < 4; i++) await step(i === 0 ? 0 : 1000);
    expect(events).toEqual(['unhealthy']);
    expect(c.consecutiveFailures).toBe(4);
    c.stop();
  });
});

describe('health probes', () => {
  let server: Server;
  let port: number;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pando-probe-'));
    server = createServer((req, res) => {
      res.statusCode = req.url === '/ok' ? 204 : req.url === '/moved' ? 302 : req.url === '/slow' ? 200 : 503;
      if (req.url === '/slow') setTimeout(() => res.end(), 2000).unref();
      else res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('HTTP passes on 200-399 and fails otherwise, on refusal and on timeout', async () => {
    await expect(httpProbe(port, '/ok', 'http')(1000)).resolves.toEqual({ ok: true, message: `GET http://127.0.0.1:${port}/ok answered 204` });
    await expect(httpProbe(port, '/moved', 'http')(1000)).resolves.toMatchObject({ ok: true });
    await expect(httpProbe(port, '/broken', 'http')(1000)).resolves.toEqual({ ok: false, message: `GET http://127.0.0.1:${port}/broken answered 503` });
    await expect(httpProbe(port, '/slow', 'http')(200)).resolves.toMatchObject({ ok: false, message: expect.stringContaining('no answer within 0.2 s') });
    const closed = await freePort();
    await expect(httpProbe(closed, '/', 'http')(1000)).resolves.toMatchObject({ ok: false, message: expect.stringContaining('ECONNREFUSED') });
  });

  it('TCP passes on connect', async () => {
    const tcp = createTcpServer((s) => s.destroy());
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const tcpPort = (tcp.address() as { port: number }).port;
    await expect(tcpProbe(tcpPort)(1000)).resolves.toMatchObject({ ok: true });
    await new Promise((r) => tcp.close(r));
    await expect(tcpProbe(tcpPort)(1000)).resolves.toMatchObject({ ok: false });
  });

  it('COMMAND runs a shell in the sandbox with the task env; a timeout kills it', async () => {
    await expect(shellProbe('test "$(pwd)" = "$SANDBOX" && test "$X" = 1', dir, { X: '1', SANDBOX: dir })(2000)).resolves.toMatchObject({ ok: true });
    await expect(shellProbe('echo nope; exit 4', dir, {})(2000)).resolves.toEqual({ ok: false, message: 'command check exited with code 4: nope' });
    const started = Date.now();
    await expect(shellProbe('sleep 5', dir, {})(200)).resolves.toEqual({ ok: false, message: 'command check timed out after 0.2 s' });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
