import { fetchJson, findTask, startFrameworkHost, TestCluster, waitFor, type RunningFrameworkHost } from '@pando/testing';
import type { Run } from '../../examples/run-once-per-agent/src';

const PLUGIN = 'run-once-per-agent';
const ECHO = 'echo';
const TTL_MS = 3000;

/** Reads server-sent events from `url` into `events` (the `data` of each) until aborted. */
function readEvents<T>(url: string, events: T[], abort: AbortController): Promise<void> {
  return (async () => {
    const res = await fetch(url, { signal: abort.signal, headers: { accept: 'text/event-stream' } });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const data = buffer.slice(0, end).split('\n').find((l) => l.startsWith('data: '));
        buffer = buffer.slice(end + 2);
        if (data) events.push(JSON.parse(data.slice('data: '.length)) as T);
      }
    }
  })().catch((err: unknown) => {
    if (!abort.signal.aborted) throw err;
  });
}

/**
 * Two framework hosts with the same two plugins: one leads, the other stands by and proxies. The
 * agents register before any framework subscribes, so every launch goes to a listening agent.
 */
describe('framework host: leader election between two hosts', () => {
  let cluster: TestCluster;
  let a: RunningFrameworkHost;
  let b: RunningFrameworkHost;
  const start = (hostId: string): Promise<RunningFrameworkHost> =>
    startFrameworkHost({
      natsUrl: cluster.nats.url,
      hostId,
      plugins: ['./examples/run-once-per-agent', './dist/test/framework-host/fixtures/echo-plugin.fixture.js'],
      pluginIds: [PLUGIN, ECHO],
      leaseTtlMs: TTL_MS,
      // Long-running tasks, to see them survive the failover.
      pluginOptions: { [PLUGIN]: { command: 'sleep 600' } },
    });

  beforeAll(async () => {
    cluster = await TestCluster.start({ agents: 2, masterArgs: ['--allocation-interval-ms', '100', '--framework-heartbeat-interval-ms', '500'] });
    a = await start('host-a');
    await a.waitLeading(PLUGIN);
    await a.waitLeading(ECHO);
    b = await start('host-b');
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await cluster?.stop();
  });

  it('the standby knows the leader and proxies HTTP to it, server-sent events included', async () => {
    expect(await b.status(PLUGIN)).toMatchObject({ role: 'standby', leader: { holder: 'host-a', url: a.urls[PLUGIN] } });
    const leaderEcho = await a.status(ECHO);
    const ticks: Array<{ n: number; pid: number }> = [];
    const abort = new AbortController();
    const reading = readEvents(`${b.urls[ECHO]}/echo/ticks`, ticks, abort);
    await waitFor(() => ticks.length >= 5, 'ticks from the leader through the standby', 10_000);
    abort.abort();
    await reading;
    expect(ticks.slice(0, 5)).toEqual([0, 1, 2, 3, 4].map((n) => ({ n, pid: leaderEcho.pid })));

    await waitFor(async () => {
      const { runs } = await fetchJson<{ runs: Run[] }>(`${b.urls[PLUGIN]}/runs`);
      return runs.length === 2 && runs.every((r) => r.state === 'RUNNING');
    }, 'both runs RUNNING, read through the standby', 30_000);
    expect(await fetchJson(`${b.urls[PLUGIN]}/runs`)).toEqual(await fetchJson(`${a.urls[PLUGIN]}/runs`));
    const missing = await fetch(`${b.urls[PLUGIN]}/runs/no-such-agent`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ message: 'no run on agent no-such-agent' });
  });

  it('kill -9 of the leading host: the standby takes over within the lease TTL and resumes the framework; tasks keep running', async () => {
    const before = await a.status(PLUGIN);
    const runsBefore = (await fetchJson<{ runs: Run[] }>(`${a.urls[PLUGIN]}/runs`)).runs;
    expect(runsBefore.map((r) => r.state)).toEqual(['RUNNING', 'RUNNING']);

    const killedAt = Date.now();
    await a.kill9();
    const leading = await waitFor(() => b.status(PLUGIN).then((s) => (s.role === 'leader' ? s : undefined)), 'host-b to take the lease', 3 * TTL_MS, 20);
    const tookMs = Date.now() - killedAt;
    // The lease is taken TTL after host-b last saw it renewed (every TTL/3, seen within a poll of TTL/10).
    expect(tookMs).toBeLessThanOrEqual(TTL_MS + 1500);
    expect(leading.epoch).toBeGreaterThan(before.epoch!);
    // host-a's worker went with its host (it watches its IPC channel).
    await waitFor(() => !isAlive(before.pid), "host-a's worker to exit", 5000);

    const after = await waitFor(() => b.status(PLUGIN).then((s) => (s.driver === 'subscribed' ? s : undefined)), 'host-b to re-subscribe', 15_000);
    expect(after.frameworkId).toBe(before.frameworkId);

    const state = await cluster.master.state();
    const frameworks = state.frameworks.filter((f: any) => f.name === PLUGIN);
    expect(frameworks.map((f: any) => [f.id, f.active])).toEqual([[before.frameworkId, true]]);
    for (const run of runsBefore) expect(findTask(state, run.taskId)?.state).toBe('TASK_RUNNING');
    const runsAfter = (await fetchJson<{ runs: Run[] }>(`${b.urls[PLUGIN]}/runs`)).runs;
    expect(runsAfter.map((r) => [r.taskId, r.state]).sort()).toEqual(runsBefore.map((r) => [r.taskId, 'RUNNING']).sort());
    expect(frameworks[0].tasks).toHaveLength(2); // nothing launched twice

    // The other plugin failed over too, each on its own lease.
    const echo = await b.waitLeading(ECHO);
    expect((await fetchJson(`${b.urls[ECHO]}/echo`)).pid).toBe(echo.pid);
  });

  it('a host stopped with SIGTERM hands its leases over at once: its workers stop the plugins and delete their lease keys', async () => {
    a = await start('host-a');
    await waitFor(() => a.status(PLUGIN).then((s) => s.role === 'standby' && s.leader?.holder === 'host-b'), 'host-a to stand by');
    const before = await b.status(PLUGIN);
    const stoppedAt = Date.now();
    await b.stop();
    expect(b.process.exitCode).toBe(0);
    const leading = await a.waitLeading(PLUGIN, 10_000);
    // No lease TTL to wait for: host-a takes the released key at its next poll.
    expect(Date.now() - stoppedAt).toBeLessThan(TTL_MS);
    expect(await b.process.waitForLine("released lease plugin.run-once-per-agent")).toBeTruthy();
    const after = await waitFor(() => a.status(PLUGIN).then((s) => (s.driver === 'subscribed' ? s : undefined)), 'host-a to re-subscribe', 15_000);
    expect(after.frameworkId).toBe(before.frameworkId);
    expect(leading.epoch).toBeGreaterThan(before.epoch!);
    const runs = (await fetchJson<{ runs: Run[] }>(`${a.urls[PLUGIN]}/runs`)).runs;
    expect(runs.map((r) => r.state)).toEqual(['RUNNING', 'RUNNING']);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
