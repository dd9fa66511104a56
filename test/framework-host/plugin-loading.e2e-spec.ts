import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  fetchJson,
  repoRoot,
  startFrameworkHost,
  startMaster,
  startNatsServer,
  waitFor,
  type RunningFrameworkHost,
  type RunningMaster,
  type RunningNats,
} from '@pando/testing';

const EXAMPLE = 'run-once-per-agent';

/** Starts a host that must refuse to start; resolves with its exit code and output. */
async function refusedStart(plugins: string[], args: string[] = []): Promise<{ code: number | null; output: string }> {
  const host = await startFrameworkHost({ natsUrl: 'nats://127.0.0.1:1', plugins, args, waitReady: false });
  const code = await host.process.waitForExit(20_000);
  return { code, output: host.process.output() };
}

describe('framework host: loading plugins', () => {
  it('stops with exit 1 naming each plugin that cannot be used, before starting any worker', async () => {
    const newer = './dist/apps/framework-host/src/plugins/testing/newer-api-plugin.fixture.js';
    const throwing = './dist/apps/framework-host/src/plugins/testing/throwing-plugin.fixture.js';
    const { code, output } = await refusedStart(['no-such-plugin', './dist/nowhere.js', newer, throwing, './examples/run-once-per-agent'], ['--plugin-ports', 'ghost=1']);
    expect(code).toBe(1);
    expect(output).toContain("unknown plugin 'no-such-plugin' in --plugins / PANDO_PLUGINS: it is not a bundled plugin (marathon, chronos)");
    expect(output).toContain(`plugin './dist/nowhere.js' in --plugins / PANDO_PLUGINS: no such file or module (looked for ${join(repoRoot(), 'dist/nowhere.js')})`);
    expect(output).toContain(`plugin '${newer}' cannot be used: framework plugin 'fixture-newer' was built for apiVersion 2, but this Pando supports apiVersion 1`);
    expect(output).toMatch(/plugin '.*throwing-plugin.fixture.js' failed to load from .*: cannot find the configuration file \/etc\/nowhere.json/);
    expect(output).toContain("--plugin-ports / PANDO_PLUGIN_PORTS names 'ghost', which is not a loaded plugin");
    expect(output).not.toContain('started worker');
  });

  describe('with NATS and a master', () => {
    let nats: RunningNats;
    let master: RunningMaster;
    let packageDir: string;
    beforeAll(async () => {
      nats = await startNatsServer();
      master = await startMaster({ natsUrl: nats.url });
      // A third-party plugin installed as an npm package in some project, outside this repo.
      packageDir = mkdtempSync(join(tmpdir(), 'pando-plugin-project-'));
      const pkg = join(packageDir, 'node_modules', 'pando-plugin-run-once');
      mkdirSync(pkg, { recursive: true });
      writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'pando-plugin-run-once', version: '1.0.0', main: 'index.js' }));
      writeFileSync(join(pkg, 'index.js'), `module.exports = require(${JSON.stringify(join(repoRoot(), 'dist/examples/run-once-per-agent/src/index.js'))});\n`);
    });
    afterAll(async () => {
      await master?.stop();
      await nats?.stop();
      rmSync(packageDir, { recursive: true, force: true });
    });

    it('loads a plugin from outside plugins/ by path, serves its HTTP API and registers its framework', async () => {
      const host = await startFrameworkHost({ natsUrl: nats.url, plugins: ['./examples/run-once-per-agent'], pluginIds: [EXAMPLE] });
      await host.waitLeading(EXAMPLE);
      expect(await fetchJson(`${host.urls[EXAMPLE]}/runs`)).toEqual({ runs: [] });
      const framework = await registeredFramework(host, master);
      expect(framework.name).toBe(EXAMPLE);
      await host.stop();
    });

    it('loads a plugin by npm package name from the working directory', async () => {
      const host = await startFrameworkHost({ natsUrl: nats.url, plugins: ['pando-plugin-run-once'], pluginIds: [EXAMPLE], cwd: packageDir });
      await host.waitLeading(EXAMPLE);
      expect(await fetchJson(`${host.urls[EXAMPLE]}/runs`)).toEqual({ runs: [] });
      await host.stop();
    });
  });
});

/** The plugin's framework as /master/state shows it, once the plugin subscribed. */
async function registeredFramework(host: RunningFrameworkHost, master: RunningMaster): Promise<any> {
  const frameworkId = await waitFor(() => host.status(EXAMPLE).then((s) => s.driver === 'subscribed' && s.frameworkId), 'the plugin to subscribe');
  return waitFor(async () => (await master.state()).frameworks.find((f: any) => f.id === frameworkId), `framework ${frameworkId} in /master/state`);
}
