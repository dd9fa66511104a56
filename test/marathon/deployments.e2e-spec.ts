import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@pando/testing';
import { EventStream } from './event-stream.fixture';
import { MarathonCluster } from './marathon-cluster.fixture';

/** Health checks, rolling restarts, failed deployments and the event stream, on a real cluster. */
describe('marathon deployments', () => {
  let mc: MarathonCluster;
  let events: EventStream;
  const flags = mkdtempSync(join(tmpdir(), 'pando-marathon-flags-'));

  beforeAll(async () => {
    mc = await MarathonCluster.start();
    events = await EventStream.open(mc.url);
  });

  afterAll(async () => {
    await events?.close();
    await mc?.stop();
    rmSync(flags, { recursive: true, force: true });
  });

  /** A COMMAND check that fails once the test drops a file named after the task. */
  function healthCheck(): Record<string, unknown> {
    return { protocol: 'COMMAND', command: { value: `test ! -f ${flags}/fail-$MESOS_TASK_ID` }, gracePeriodSeconds: 2, intervalSeconds: 1, timeoutSeconds: 2, delaySeconds: 0, maxConsecutiveFailures: 2 };
  }

  it('streams events over SSE, with an event_type filter', async () => {
    expect(events.contentType).toMatch(/^text\/event-stream/);
    const filtered = await EventStream.open(mc.url, '?event_type=deployment_success');
    try {
      await mc.request('POST', '/v2/apps', { id: '/sse', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 1 });
      await waitFor(() => filtered.ofType('deployment_success').length > 0, 'deployment_success on the filtered stream');
      expect(filtered.events.every((e) => e.event === 'deployment_success')).toBe(true);
      await waitFor(() => events.ofType('status_update_event').some((e) => e.appId === '/sse' && e.taskStatus === 'TASK_RUNNING'), 'TASK_RUNNING on the stream');
      expect(events.ofType('api_post_event').some((e) => e.appDefinition.id === '/sse')).toBe(true);
      expect(events.ofType('deployment_info').length).toBeGreaterThan(0);
      expect(events.ofType('event_stream_attached').length).toBeGreaterThan(0);
    } finally {
      await filtered.close();
    }
    await mc.request('DELETE', '/v2/apps/sse');
  });

  it('replaces a task whose health check keeps failing', async () => {
    await mc.request('POST', '/v2/apps', { id: '/checked', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 2, backoffSeconds: 1, healthChecks: [healthCheck()] });
    const app = await mc.waitForApp('/checked', 2);
    const victim = app.tasks[0].id as string;
    writeFileSync(join(flags, `fail-${victim}`), '');
    await waitFor(
      async () => {
        const now = await mc.app('/checked');
        const ids = now.tasks.map((t: { id: string }) => t.id);
        return !ids.includes(victim) && now.tasksHealthy === 2 ? now : undefined;
      },
      'the unhealthy task to be killed and replaced by a healthy one',
      45_000,
      250,
    );
    const after = await mc.app('/checked');
    expect(after.lastTaskFailure).toMatchObject({ taskId: victim, state: 'TASK_KILLED' });
    expect(events.ofType('unhealthy_task_kill_event').some((e) => e.taskId === victim)).toBe(true);
    expect(events.ofType('health_status_changed_event').some((e) => e.appId === '/checked' && e.alive === false)).toBe(true);
  });

  it('restarts rolling while keeping minimumHealthCapacity', async () => {
    const strategy = { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 };
    await mc.request('PUT', '/v2/apps/checked', { instances: 4, upgradeStrategy: strategy });
    const before = await mc.waitForApp('/checked', 4);
    const res = await mc.request('POST', '/v2/apps/checked/restart');
    expect(res.status).toBe(200);
    let minHealthy = Infinity;
    let maxTasks = 0;
    await waitFor(
      async () => {
        const app = await mc.app('/checked');
        minHealthy = Math.min(minHealthy, app.tasksHealthy);
        maxTasks = Math.max(maxTasks, app.tasks.length);
        return app.deployments.length === 0 && app.tasksHealthy === 4 ? app : undefined;
      },
      'the rolling restart to finish',
      60_000,
      100,
    );
    expect(minHealthy).toBeGreaterThanOrEqual(2);
    expect(maxTasks).toBeLessThanOrEqual(4);
    const after = await mc.app('/checked');
    const oldIds = new Set(before.tasks.map((t: { id: string }) => t.id));
    expect(after.tasks.some((t: { id: string }) => oldIds.has(t.id))).toBe(false);
  });

  it('rolls back a new version that never becomes healthy', async () => {
    await mc.request('POST', '/v2/apps', { id: '/rollback', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 1, backoffSeconds: 1, healthChecks: [healthCheck()] });
    const good = await mc.waitForApp('/rollback', 1);
    // Crashes at once; its first check would only come after 2 s.
    const bad = await mc.request('PUT', '/v2/apps/rollback', { cmd: 'exit 3', healthChecks: [{ ...healthCheck(), delaySeconds: 2 }] });
    expect(bad.status).toBe(200);
    const failed = await waitFor(() => events.ofType('deployment_failed').find((e) => e.id === bad.json.deploymentId), 'deployment_failed', 45_000, 250);
    expect(failed.reason).toMatch(/no progress/);
    const app = await waitFor(
      async () => {
        const a = await mc.app('/rollback');
        return a.cmd === 'sleep 1000' && a.deployments.length === 0 && a.tasksHealthy === 1 ? a : undefined;
      },
      'the app to be back on its first version',
      45_000,
      250,
    );
    expect(app.lastTaskFailure).toMatchObject({ appId: '/rollback', state: 'TASK_FAILED', version: bad.json.version });
    expect(app.version).not.toBe(good.version);
    expect(events.ofType('deployment_success').some((e) => e.plan.original.apps.some((a: { cmd: string }) => a.cmd === 'exit 3'))).toBe(true);
  });
});
