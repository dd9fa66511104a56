import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fetchJson, findTask, OperatorClient, repoRoot, TestCluster, waitFor, type RunningAgent, type StateTask } from '@pando/testing';
import { freePortIn, sandboxOf, taskIn } from '../agent/agent-e2e.helpers';

/**
 * Docker tasks on a real agent (`--executors command,docker`) against the real engine and the
 * local pando/busybox image: ports, limits, OOM, kill, health checks, agent restarts. Every
 * container carries pando.test-run=<run id> and is removed in afterAll, whatever happened.
 */
const IMAGE = 'pando/busybox:latest';
const runId = `e2e-${process.pid}-${Date.now().toString(36)}`;
const PORTS = [43000, 43999] as const;

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', timeout: 30_000 }).trim();
}

function removeContainers(filter: string): void {
  const ids = docker('ps', '-aq', '--filter', filter).split('\n').filter(Boolean);
  if (ids.length > 0) docker('rm', '-f', ...ids);
}

function runScript(name: string): void {
  execFileSync('bash', [join(repoRoot(), 'scripts', name)], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
}

const container = (docker: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'DOCKER',
  docker: { image: IMAGE, pullPolicy: 'never', labels: { 'pando.test-run': runId }, ...docker },
});

describe('docker tasks', () => {
  let cluster: TestCluster;
  let operator: OperatorClient;
  const agentIds = new Set<string>();

  beforeAll(async () => {
    runScript('docker-engine.sh');
    runScript('build-test-images.sh');
    cluster = await TestCluster.start({
      agents: 1,
      agentOptions: [{ args: ['--executors', 'command,docker'], resources: `cpus:4;mem:4096;disk:10000;ports:[${PORTS[0]}-${PORTS[1]}]` }],
    });
    agentIds.add(cluster.agents[0]!.agentId);
    operator = await OperatorClient.connect(cluster.nats.url);
  });

  afterAll(async () => {
    await operator?.close();
    await cluster?.stop();
    removeContainers(`label=pando.test-run=${runId}`);
    for (const id of agentIds) removeContainers(`label=pando.agent-id=${id}`);
  });

  const agent = (): RunningAgent => cluster.agents.at(-1)!;

  async function launch(task: Parameters<OperatorClient['launch']>[1]): Promise<string> {
    return operator.launch(agent().agentId, { executor: 'docker', resources: 'cpus:0.2;mem:32', ...task, container: task.container ?? container() });
  }

  const containerOf = (taskId: string): string => docker('ps', '-aq', '--filter', `label=pando.task-id=${taskId}`);

  it('serves busybox httpd on its mapped host port', async () => {
    const port = await freePortIn(...PORTS);
    const taskId = await launch({
      command: 'mkdir -p /www && echo hello-pando > /www/index.html && exec httpd -f -p 8080 -h /www',
      resources: `cpus:0.2;mem:32;ports:[${port}-${port}]`,
      container: container({ portMappings: [{ containerPort: 8080, hostPort: 0 }] }),
      killGracePeriodMs: 1000,
    });
    await taskIn(cluster, taskId, ['TASK_RUNNING']);
    const body = await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`)).text(), 'httpd to answer on the host port');
    expect(body.trim()).toBe('hello-pando');
    await operator.kill(taskId);
    await taskIn(cluster, taskId, ['TASK_KILLED']);
    await waitFor(() => containerOf(taskId) === '', 'the container to be removed');
  });

  it('shows the memory limit inside the container', async () => {
    const taskId = await launch({
      command: 'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes',
      resources: 'cpus:0.2;mem:48',
    });
    await taskIn(cluster, taskId, ['TASK_FINISHED']);
    expect(readFileSync(join(sandboxOf(agent(), taskId), 'stdout'), 'utf8').trim()).toBe(String(48 * 1024 * 1024));
  });

  it('reports a container that exceeds its memory as FAILED with the OOM reason', async () => {
    const taskId = await launch({ command: 'tail /dev/zero', resources: 'cpus:0.2;mem:16' });
    const task = await taskIn(cluster, taskId, ['TASK_FAILED']);
    expect(task.statuses.at(-1)).toMatchObject({ reason: 'REASON_CONTAINER_LIMITATION_MEMORY', message: expect.stringContaining('OOM-killed') });
  });

  it('kills a task that stops on SIGTERM well within its grace period, as KILLED', async () => {
    const taskId = await launch({ command: "trap 'echo stopping; exit 0' TERM; while true; do sleep 0.1; done", killGracePeriodMs: 20_000 });
    await taskIn(cluster, taskId, ['TASK_RUNNING']);
    const started = Date.now();
    await operator.kill(taskId);
    await taskIn(cluster, taskId, ['TASK_KILLED']);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(readFileSync(join(sandboxOf(agent(), taskId), 'stdout'), 'utf8')).toContain('stopping');
  });

  it('turns unhealthy when its HTTP check fails, and is killed after maxConsecutiveFailures', async () => {
    const port = await freePortIn(...PORTS);
    const taskId = await launch({
      command: 'mkdir -p /www; echo ok > /www/health; (sleep 3; rm /www/health) & exec httpd -f -p 8080 -h /www',
      resources: `cpus:0.2;mem:32;ports:[${port}-${port}]`,
      container: container({ portMappings: [{ containerPort: 8080, hostPort: 0 }] }),
      killGracePeriodMs: 1000,
      healthCheck: { type: 'HTTP', http: { portIndex: 0, path: '/health' }, delaySeconds: 0, intervalSeconds: 0.5, gracePeriodSeconds: 30, maxConsecutiveFailures: 3 },
    });
    const task = await taskIn(cluster, taskId, ['TASK_KILLED'], 30_000);
    const verdicts = task.statuses.filter((s) => s.state === 'TASK_RUNNING' && s.healthy !== undefined).map((s) => s.healthy);
    expect(verdicts).toEqual([true, false]);
    expect(task.statuses.at(-1)).toMatchObject({ state: 'TASK_KILLED', reason: 'REASON_HEALTH_CHECK_FAILED', healthy: false });
    expect(task.statuses.at(-1)!.message).toContain(`GET http://127.0.0.1:${port}/health answered 404`);
    await waitFor(() => containerOf(taskId) === '', 'the container to be removed');
  });

  it('runs a COMMAND health check inside the container', async () => {
    const taskId = await launch({
      command: 'touch /ready; exec sleep 300',
      killGracePeriodMs: 0,
      healthCheck: { type: 'COMMAND', command: { value: 'test -f /ready && test "$PANDO_TASK_ID" != ""' }, delaySeconds: 0, intervalSeconds: 0.5, gracePeriodSeconds: 10 },
    });
    const task = await waitFor(async () => {
      const t = findTask(await cluster.master.state(), taskId);
      return t?.healthy === true ? t : undefined;
    }, 'healthy', 20_000);
    expect(task.statuses.find((s) => s.healthy === true)?.message).toBe('health check passed: command check exited with code 0');
    await operator.kill(taskId);
    await taskIn(cluster, taskId, ['TASK_KILLED']);
  });

  it('keeps running containers across an agent kill -9 and restart, and reports them', async () => {
    const taskId = await launch({ command: 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done', killGracePeriodMs: 0 });
    await taskIn(cluster, taskId, ['TASK_RUNNING']);
    const before = containerOf(taskId);
    expect(before).not.toBe('');
    const old = agent();
    await old.kill9();
    await new Promise((r) => setTimeout(r, 1000));
    const restarted = await cluster.addAgent({ workDir: old.workDir, args: old.options.args, resources: old.options.resources });
    expect(restarted.agentId).toBe(old.agentId);
    expect(containerOf(taskId)).toBe(before);
    expect(docker('inspect', '-f', '{{.State.Running}}', before)).toBe('true');
    await waitFor(async () => (await fetchJson(`${restarted.url}/state`)).tasks.some((t: any) => t.id === taskId && t.state === 'TASK_RUNNING'), 'the agent to show it RUNNING');
    expect((await taskIn(cluster, taskId, ['TASK_RUNNING'])).slave_id).toBe(old.agentId);
    // Output written while the agent was down reaches the sandbox too.
    const ticks = (): number => readFileSync(join(sandboxOf(restarted, taskId), 'stdout'), 'utf8').split('\n').filter((l) => l.startsWith('tick')).length;
    const seen = ticks();
    await waitFor(() => ticks() > seen + 3, 'more output after the restart');
    await operator.kill(taskId);
    await taskIn(cluster, taskId, ['TASK_KILLED']);
    await waitFor(() => containerOf(taskId) === '', 'the container to be removed');
  });

  it('fails an unknown image cleanly, leaving no container', async () => {
    const taskId = await launch({ command: 'true', container: container({ image: 'pando/no-such-image:1.0', pullPolicy: 'if-not-present' }) });
    const task: StateTask = await taskIn(cluster, taskId, ['TASK_FAILED']);
    expect(task.statuses.at(-1)).toMatchObject({ reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: expect.stringContaining("failed to pull image 'pando/no-such-image:1.0'") });
    expect(containerOf(taskId)).toBe('');
  });
});
