import { waitFor, type RunningAgent, type RunningFrameworkHost } from '@pando/testing';
import { EventStream } from '../marathon/event-stream.fixture';
import { AGENT_HEARTBEAT_MS, AGENT_MAX_MISSED, HaCluster } from './ha-cluster.fixture';
import { frameworkTasks, http, labelOf, pandoTaskId, startHaFrameworkHost, taskProcesses, waitForAcknowledged } from './ha-framework-host.fixture';

jest.setTimeout(180_000);

const APP = '/ha/web';
const INSTANCES = 4;
/** Heartbeat interval × missed heartbeats, plus the master's 1 s liveness check tick. */
const DETECTION_MS = AGENT_HEARTBEAT_MS * AGENT_MAX_MISSED + 1000;
/** The master's UNREACHABLE still has to reach Marathon: master -> framework host worker -> SSE. */
const HEARD_BOUND_MS = DETECTION_MS + 2000;
const MARKER = `=ha-web-${process.pid}=`;

/**
 * Chaos (c) with Marathon on top: an agent SIGKILLed and never restarted. Its tasks go UNREACHABLE
 * within the detection time, Marathon (partition aware; the default unreachableStrategy replaces
 * and expunges at once) replaces them on the other agents, and in the end Marathon, the leading
 * master and the processes on this machine agree on exactly `instances` running tasks.
 */
describe('kill -9 of an agent for good, Marathon replaces its instances (3 masters, 3-node NATS)', () => {
  let cluster: HaCluster;
  let host: RunningFrameworkHost;
  let events: EventStream;
  const marathon = (method: string, path: string, body?: unknown) => http(host.urls.marathon!, method, path, body);

  beforeAll(async () => {
    cluster = await HaCluster.start({ masters: 3, agents: 3 });
    host = await startHaFrameworkHost(cluster, 'ha-host-1', ['marathon']);
    await host.waitLeading('marathon', 30_000);
    events = await EventStream.open(host.urls.marathon!);
  });

  afterAll(async () => {
    await events?.close();
    await host?.stop().catch(() => undefined);
    await cluster?.stop();
  });

  /** Marathon's tasks of the app once it runs exactly `INSTANCES` with no deployment, or undefined. */
  async function settledTasks(): Promise<any[] | undefined> {
    const res = await marathon('GET', `/v2/apps${APP}`);
    const app = res.status === 200 ? res.json.app : undefined;
    if (!app || app.deployments.length > 0 || app.tasksRunning !== INSTANCES || app.tasks.length !== INSTANCES) return undefined;
    return app.tasks.every((t: any) => t.state === 'TASK_RUNNING') ? app.tasks : undefined;
  }

  it("(c) the agent's tasks go UNREACHABLE within the detection time and Marathon replaces them elsewhere", async () => {
    // At most 2 per agent: the 4 instances are on 2 or 3 agents, and however they are spread the
    // other agents have room for the replacements.
    const created = await marathon('POST', '/v2/apps', {
      id: APP,
      cmd: `sleep 600 & wait; echo ${MARKER}`,
      cpus: 0.1,
      mem: 16,
      instances: INSTANCES,
      constraints: [['hostname', 'MAX_PER', '2']],
    });
    expect(created.status).toBe(201);
    const before = await waitFor(settledTasks, `${APP} to run ${INSTANCES} tasks`, 30_000, 200);

    // The victim: the agent running the most instances.
    const perAgent = new Map<string, string[]>();
    for (const t of before) perAgent.set(t.slaveId, [...(perAgent.get(t.slaveId) ?? []), pandoTaskId(t.id)]);
    const [victimId, lostIds] = [...perAgent].sort((a, b) => b[1].length - a[1].length)[0]!;
    const victim = cluster.agents.find((a) => a.agentId === victimId)!;
    const survivors: RunningAgent[] = cluster.agents.filter((a) => a !== victim);
    const keptIds = before.map((t) => pandoTaskId(t.id)).filter((id) => !lostIds.includes(id));
    expect(lostIds.length).toBeGreaterThanOrEqual(1);
    expect(new Set(taskProcesses(MARKER).map((p) => p.taskId))).toEqual(new Set(before.map((t) => pandoTaskId(t.id))));

    const heard = events.events.length;
    const killedAt = Date.now();
    await victim.kill9();
    const unreachableHeard = (): string[] =>
      events.events
        .slice(heard)
        .filter((e) => e.event === 'status_update_event' && e.data.taskStatus === 'TASK_UNREACHABLE')
        .map((e) => pandoTaskId(e.data.taskId));
    await waitFor(() => lostIds.every((id) => unreachableHeard().includes(id)), 'Marathon to hear UNREACHABLE for every task of the killed agent', HEARD_BOUND_MS + 10_000, 20);
    const tookMs = Date.now() - killedAt;
    process.stderr.write(`[ha] agent killed: ${lostIds.length} Marathon tasks UNREACHABLE after ${tookMs} ms (detection ${DETECTION_MS} ms, bound ${HEARD_BOUND_MS} ms)\n`);
    expect(tookMs).toBeLessThanOrEqual(HEARD_BOUND_MS);
    // Exactly the killed agent's tasks went UNREACHABLE, each once.
    expect(unreachableHeard().sort()).toEqual([...lostIds].sort());

    const after = await waitFor(
      async () => {
        const tasks = await settledTasks();
        return tasks && tasks.every((t) => t.slaveId !== victimId) ? tasks : undefined;
      },
      `${APP} to run ${INSTANCES} tasks again, none on the killed agent`,
      60_000,
      200,
    );
    const running = after.map((t) => pandoTaskId(t.id)).sort();
    const replacements = running.filter((id) => !keptIds.includes(id));
    // The tasks of the other agents were left alone; exactly the lost ones were replaced.
    expect(running.filter((id) => keptIds.includes(id)).sort()).toEqual([...keptIds].sort());
    expect(replacements).toHaveLength(lostIds.length);
    expect(replacements.some((id) => lostIds.includes(id))).toBe(false);
    const listed = await marathon('GET', `/v2/apps${APP}/tasks`);
    expect(listed.json.tasks.map((t: any) => pandoTaskId(t.id)).sort()).toEqual(running);

    // The leading master agrees: exactly those tasks run; the lost ones are UNREACHABLE (the
    // agent never came back to be told to kill them); nothing else was ever launched for the app.
    const leader = await cluster.leader();
    const state = await leader.state();
    expect(state).toMatchObject({ activated_slaves: 2, unreachable_slaves: 1 });
    const ofApp = frameworkTasks(state, 'marathon').filter((t) => labelOf(t, 'pando.marathon/app-id') === APP);
    const byState = (s: string): string[] => ofApp.filter((t) => t.state === s).map((t) => t.id).sort();
    expect(byState('TASK_RUNNING')).toEqual(running);
    expect(byState('TASK_UNREACHABLE')).toEqual([...lostIds].sort());
    expect(ofApp).toHaveLength(INSTANCES + lostIds.length);
    expect(ofApp.filter((t) => t.slave_id === victimId && t.state === 'TASK_RUNNING')).toEqual([]);

    // On this machine: each running task has exactly one process, on a live agent. The killed
    // agent's tasks outlive it (its node did not die, only the agent process), each once.
    const processes = taskProcesses(MARKER);
    const onLive = processes.filter((p) => p.agentId !== victimId);
    expect(onLive.map((p) => p.taskId).sort()).toEqual(running);
    expect(processes.filter((p) => p.agentId === victimId).map((p) => p.taskId).sort()).toEqual([...lostIds].sort());

    // Updates sent vs acknowledged: nothing left unacknowledged on the live agents.
    await waitForAcknowledged(survivors);
    // Each live agent runs exactly the app's tasks whose processes are under it.
    for (const agent of survivors) {
      const own = (await agent.state()).tasks.filter((t: any) => t.id.startsWith('ha_web:'));
      expect(own.map((t: any) => t.id).sort()).toEqual(onLive.filter((p) => p.agentId === agent.agentId).map((p) => p.taskId).sort());
      expect(own.every((t: any) => t.state === 'TASK_RUNNING')).toBe(true);
    }
  });
});
