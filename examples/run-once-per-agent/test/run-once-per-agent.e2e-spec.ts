import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fetchJson, findTask, startFrameworkHost, TestCluster, waitFor, type RunningFrameworkHost } from '@pando/testing';
import type { Run } from '../src';

const PLUGIN = 'run-once-per-agent';

/**
 * The example plugin, end to end, loaded the way a third-party plugin is: by path, from outside
 * the repo's plugins folder. A real nats-server, master, two agents and framework host.
 */
describe('run-once-per-agent plugin', () => {
  let cluster: TestCluster;
  let host: RunningFrameworkHost;

  beforeAll(async () => {
    cluster = await TestCluster.start({ agents: 2, masterArgs: ['--allocation-interval-ms', '100'] });
    host = await startFrameworkHost({
      natsUrl: cluster.nats.url,
      plugins: ['./examples/run-once-per-agent'],
      pluginIds: [PLUGIN],
      pluginOptions: { [PLUGIN]: { command: 'echo ran-once', resources: 'cpus:0.1;mem:16' } },
    });
  });
  afterAll(async () => {
    await host?.stop();
    await cluster?.stop();
  });

  it('runs the command exactly once on every agent', async () => {
    const runs = await waitFor(async () => {
      const { runs } = await fetchJson<{ runs: Run[] }>(`${host.urls[PLUGIN]}/runs`);
      return runs.length === 2 && runs.every((r) => r.state === 'FINISHED') ? runs : undefined;
    }, 'a finished run on each agent', 30_000);
    expect(runs.map((r) => r.agentId).sort()).toEqual(cluster.agents.map((a) => a.agentId).sort());
    for (const run of runs) expect(run.message).toBe('exited with code 0');

    const { frameworkId } = await host.status(PLUGIN);
    const state = await cluster.master.state();
    const framework = state.frameworks.find((f: any) => f.id === frameworkId);
    expect(framework).toMatchObject({ name: PLUGIN, active: true });
    // Every task the framework ever had: one per agent.
    const tasks = [...framework.tasks, ...framework.completed_tasks];
    expect(tasks.map((t: any) => t.slave_id).sort()).toEqual(cluster.agents.map((a) => a.agentId).sort());
    for (const run of runs) expect(findTask(state, run.taskId)?.state).toBe('TASK_FINISHED');
    // And the command really ran there: each agent's sandbox (README: sandboxes/<frameworkId>/<taskId>) has its output.
    for (const agent of cluster.agents) {
      const sandboxes = join(agent.workDir, 'sandboxes', frameworkId!);
      const taskIds = readdirSync(sandboxes);
      expect(taskIds).toEqual([runs.find((r) => r.agentId === agent.agentId)!.taskId]);
      expect(readFileSync(join(sandboxes, taskIds[0], 'stdout'), 'utf8')).toBe('ran-once\n');
    }
  });

  it('keeps declining the agents it is done with (no second run)', async () => {
    await new Promise((r) => setTimeout(r, 1500)); // ~15 allocation cycles
    const { runs } = await fetchJson<{ runs: Run[] }>(`${host.urls[PLUGIN]}/runs`);
    expect(runs).toHaveLength(2);
    const { frameworkId } = await host.status(PLUGIN);
    const framework = (await cluster.master.state()).frameworks.find((f: any) => f.id === frameworkId);
    expect(framework.tasks.length + framework.completed_tasks.length).toBe(2);
  });
});
