import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, waitFor } from '@pando/testing';
import { fixture, MarathonCluster } from './marathon-cluster.fixture';

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', timeout: 30_000 }).trim();
}

function runScript(name: string): void {
  execFileSync('bash', [join(repoRoot(), 'scripts', name)], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
}

/** A Docker app (the local pando/busybox image) on agents running `--executors command,docker`. */
describe('marathon docker apps', () => {
  let mc: MarathonCluster;
  const agentIds: string[] = [];

  beforeAll(async () => {
    runScript('docker-engine.sh');
    runScript('build-test-images.sh');
    const args = ['--executors', 'command,docker'];
    mc = await MarathonCluster.start({ agents: [{ hostname: 'agent-a', args }, { hostname: 'agent-b', args }] });
    agentIds.push(...mc.cluster.agents.map((a) => a.agentId));
  });

  afterAll(async () => {
    await mc?.stop();
    for (const id of agentIds) {
      const ids = docker('ps', '-aq', '--filter', `label=pando.agent-id=${id}`).split('\n').filter(Boolean);
      if (ids.length > 0) docker('rm', '-f', ...ids);
    }
  });

  it('runs a bridged Docker app, healthy, serving on its host ports', async () => {
    const res = await mc.request('POST', '/v2/apps', fixture('docker-app.json'));
    expect(res.status).toBe(201);
    const app = await mc.waitForApp('/docker/httpd', 2, 'two healthy httpd containers', 60_000);
    expect(app.container.portMappings[0]).toMatchObject({ containerPort: 8080, servicePort: expect.any(Number) });
    for (const task of app.tasks as Array<{ ports: number[] }>) {
      const body = await waitFor(async () => (await fetch(`http://127.0.0.1:${task.ports[0]}/`)).text(), 'httpd on the host port');
      expect(body.trim()).toBe('hello-marathon');
    }
    const running = docker('ps', '-q', '--filter', `label=pando.agent-id=${agentIds[0]}`).split('\n').filter(Boolean).length + docker('ps', '-q', '--filter', `label=pando.agent-id=${agentIds[1]}`).split('\n').filter(Boolean).length;
    expect(running).toBe(2);
  });

  it('restarts it rolling, then deletes it and its containers', async () => {
    const before = await mc.app('/docker/httpd');
    const restart = await mc.request('POST', '/v2/apps/docker/httpd/restart');
    expect(restart.status).toBe(200);
    const after = await waitFor(async () => {
      const a = await mc.app('/docker/httpd');
      const old = new Set(before.tasks.map((t: { id: string }) => t.id));
      return a.deployments.length === 0 && a.tasksHealthy === 2 && a.tasks.every((t: { id: string }) => !old.has(t.id)) ? a : undefined;
    }, 'the rolling restart', 60_000, 250);
    expect(after.tasks).toHaveLength(2);
    expect((await mc.request('DELETE', '/v2/apps/docker/httpd')).status).toBe(200);
    await mc.waitForNoDeployments(60_000);
    await waitFor(() => agentIds.every((id) => docker('ps', '-q', '--filter', `label=pando.agent-id=${id}`) === ''), 'the containers to stop', 30_000, 500);
  });
});
