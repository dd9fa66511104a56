import { waitFor } from '@pando/testing';
import { MarathonCluster } from './marathon-cluster.fixture';

/** A framework host that crashes or restarts: apps, tasks and deployments in progress survive. */
describe('marathon failover', () => {
  let mc: MarathonCluster;

  beforeAll(async () => {
    mc = await MarathonCluster.start({ pluginOptions: { 'deployment-deadline-seconds': '60' } });
  });

  afterAll(async () => {
    await mc?.stop();
  });

  const check = (delaySeconds: number) => ({ protocol: 'COMMAND', command: { value: 'true' }, gracePeriodSeconds: 30, intervalSeconds: 1, timeoutSeconds: 2, delaySeconds, maxConsecutiveFailures: 3 });

  it('keeps apps and tasks across a host restart, and finishes the deployment in progress', async () => {
    await mc.request('POST', '/v2/apps', { id: '/steady', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 2 });
    await mc.request('POST', '/v2/apps', { id: '/slow', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 2, healthChecks: [check(0)] });
    const steady = await mc.waitForApp('/steady', 2);
    const before = await mc.waitForApp('/slow', 2);
    // The new version's tasks only pass their first check after 15 s: the deployment is still going
    // when the host dies, even on a loaded machine where the restart itself takes several seconds.
    const put = await mc.request('PUT', '/v2/apps/slow', { cmd: 'sleep 2000', healthChecks: [check(15)] });
    expect(put.status).toBe(200);
    await waitFor(async () => (await mc.app('/slow')).tasks.length > 2, 'new tasks of /slow to be launched');

    await mc.restartHost(true);

    const deployments = (await mc.request('GET', '/v2/deployments')).json as Array<{ id: string }>;
    expect(deployments.map((d) => d.id)).toContain(put.json.deploymentId);
    const steadyAfter = await mc.waitForApp('/steady', 2, '/steady after the restart');
    expect(steadyAfter.tasks.map((t: { id: string }) => t.id).sort()).toEqual(steady.tasks.map((t: { id: string }) => t.id).sort());
    const done = await mc.waitForApp('/slow', 2, 'the deployment to finish on the new host', 60_000);
    expect(done.cmd).toBe('sleep 2000');
    const oldIds = new Set(before.tasks.map((t: { id: string }) => t.id));
    expect(done.tasks.some((t: { id: string }) => oldIds.has(t.id))).toBe(false);
    expect(done.tasks.every((t: { version: string }) => t.version === put.json.version)).toBe(true);
    // Nothing was launched twice: the cluster runs exactly what Marathon reports.
    await waitFor(async () => {
      const state = await mc.cluster.master.state();
      const live = state.frameworks.flatMap((f: { tasks: Array<{ state: string }> }) => f.tasks).filter((t: { state: string }) => t.state === 'TASK_RUNNING');
      return live.length === 4;
    }, 'the master to run exactly 4 tasks');
  });
});
