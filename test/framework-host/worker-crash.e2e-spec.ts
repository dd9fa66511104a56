import { fetchJson, startFrameworkHost, TestCluster, waitFor, type RunningFrameworkHost } from '@pando/testing';

const EXAMPLE = 'run-once-per-agent';
const ECHO = 'echo';

/** Two plugins in one host, each in its own worker process: one crashing leaves the other alone. */
describe('framework host: a crashed plugin worker', () => {
  let cluster: TestCluster;
  let host: RunningFrameworkHost;

  beforeAll(async () => {
    cluster = await TestCluster.start({ agents: 1, masterArgs: ['--allocation-interval-ms', '100'] });
    host = await startFrameworkHost({
      natsUrl: cluster.nats.url,
      plugins: ['./examples/run-once-per-agent', './dist/test/framework-host/fixtures/echo-plugin.fixture.js'],
      pluginIds: [EXAMPLE, ECHO],
      pluginOptions: { [ECHO]: { greeting: 'hi' } },
    });
    await host.waitLeading(EXAMPLE);
    await host.waitLeading(ECHO);
  });
  afterAll(async () => {
    await host?.stop();
    await cluster?.stop();
  });

  it('gives each plugin its own context: options, port, advertised URL', async () => {
    const echo = await fetchJson(`${host.urls[ECHO]}/echo`);
    expect(echo).toMatchObject({ plugin: ECHO, options: { greeting: 'hi' }, http: { port: host.ports[ECHO], advertisedUrl: host.urls[ECHO] } });
    expect(echo.pid).toBe((await host.status(ECHO)).pid);
    expect(echo.pid).not.toBe((await host.status(EXAMPLE)).pid);
  });

  it('restarts a worker killed with SIGKILL, resuming its framework, without touching the other plugin', async () => {
    const exampleBefore = await host.status(EXAMPLE);
    const echoBefore = await waitFor(() => host.status(ECHO).then((s) => (s.frameworkId ? s : undefined)), 'echo to subscribe');
    // The other plugin is polled throughout: it must answer every time.
    let polls = 0;
    let failures = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        polls++;
        await fetchJson(`${host.urls[EXAMPLE]}/runs`).catch(() => failures++);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    process.kill(echoBefore.pid, 'SIGKILL');
    await host.process.waitForLine(new RegExp(`worker of plugin 'echo' \\(pid ${echoBefore.pid}\\) exited with signal SIGKILL; restarting it`));
    const echoAfter = await host.waitLeading(ECHO, 30_000);
    polling = false;
    await poller;

    expect(echoAfter.pid).not.toBe(echoBefore.pid);
    // Its previous worker on this host held the lease: taken over at once, same framework.
    expect(echoAfter.epoch).toBeGreaterThan(echoBefore.epoch!);
    const resumed = await waitFor(() => host.status(ECHO).then((s) => (s.driver === 'subscribed' ? s : undefined)), 'echo to re-subscribe');
    expect(resumed.frameworkId).toBe(echoBefore.frameworkId);
    expect((await fetchJson(`${host.urls[ECHO]}/echo`)).pid).toBe(echoAfter.pid);

    const exampleAfter = await host.status(EXAMPLE);
    expect(exampleAfter).toMatchObject({ pid: exampleBefore.pid, role: 'leader', epoch: exampleBefore.epoch, frameworkId: exampleBefore.frameworkId });
    expect(polls).toBeGreaterThan(5);
    expect(failures).toBe(0);

    const frameworks = (await cluster.master.state()).frameworks.filter((f: any) => f.name === ECHO);
    expect(frameworks.map((f: any) => f.id)).toEqual([echoBefore.frameworkId]);
  });
});
