import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor, type RunningFrameworkHost } from '@pando/testing';
import { HaCluster } from './ha-cluster.fixture';
import { frameworkTasks, HOST_LEASE_TTL_MS, http, labelOf, pandoTaskId, startHaFrameworkHost, taskProcesses, waitForAcknowledged } from './ha-framework-host.fixture';

jest.setTimeout(240_000);

const APP = '/ha/rolling';
const INSTANCES = 4;
const JOB = 'ha-tick';
const JOB_RUNS = 20;
const PERIOD_MS = 2000;
const V1 = `=ha-rolling-v1-${process.pid}=`;
const V2 = `=ha-rolling-v2-${process.pid}=`;

/** Marathon's COMMAND health check; the new version's first check comes only after `delaySeconds`. */
const check = (delaySeconds: number) => ({ protocol: 'COMMAND', command: { value: 'true' }, gracePeriodSeconds: 60, intervalSeconds: 1, timeoutSeconds: 10, delaySeconds, maxConsecutiveFailures: 3 });

/** An ISO 8601 instant `offsetMs` from now, on a whole second. */
const isoIn = (offsetMs: number): string => new Date(Math.ceil((Date.now() + offsetMs) / 1000) * 1000).toISOString().replace('.000Z', 'Z');

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** When the host's worker logged that it acquired the plugin's lease (pino's `time`). */
const leaseAcquiredAt = (host: RunningFrameworkHost, pluginId: string): number => {
  const line = host.process.lines.find((l) => l.startsWith('{') && l.includes(`"acquired lease plugin.${pluginId} `));
  if (!line) throw new Error(`${host.hostId} never logged acquiring lease plugin.${pluginId}`);
  return Date.parse((JSON.parse(line) as { time: string }).time);
};

/** Lines of a ledger file the tasks append to (one line per execution of a task's command). */
const ledger = (file: string): string[] => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  } catch {
    return [];
  }
};

/**
 * Chaos (e): kill -9 the framework host (marathon and chronos plugins) in the middle of a Marathon
 * rolling restart and of a Chronos schedule. A second host, started before the crash and standing
 * by for both plugins (not a restart of the same host id: that would take the leases over at once),
 * takes them over once the dead host's leases expire, resumes the same frameworks, finishes the
 * deployment with exactly `instances` tasks of the new version and runs every scheduled instant
 * exactly once. Each task's command appends its task id to a ledger file, so "ran exactly once"
 * is checked on what actually executed, not only on what was recorded.
 */
describe('kill -9 of the framework host during a Marathon deployment and a Chronos schedule (3 masters, 3-node NATS)', () => {
  let cluster: HaCluster;
  let a: RunningFrameworkHost;
  let b: RunningFrameworkHost;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pando-ha-ledger-'));
    cluster = await HaCluster.start({ masters: 3, agents: 2 });
    a = await startHaFrameworkHost(cluster, 'ha-host-a', ['marathon', 'chronos']);
    await a.waitLeading('marathon', 30_000);
    await a.waitLeading('chronos', 30_000);
    b = await startHaFrameworkHost(cluster, 'ha-host-b', ['marathon', 'chronos']);
  });

  afterAll(async () => {
    await b?.stop().catch(() => undefined);
    await a?.stop().catch(() => undefined);
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('both resume on the standby host: the deployment ends with exactly the target tasks, every instant runs once', async () => {
    for (const id of ['marathon', 'chronos']) expect(await b.status(id)).toMatchObject({ role: 'standby', leader: { holder: 'ha-host-a' } });
    let marathonUrl = a.urls.marathon!;
    let chronosUrl = a.urls.chronos!;
    const marathon = (method: string, path: string, body?: unknown) => http(marathonUrl, method, path, body);
    const chronos = (method: string, path: string, body?: unknown) => http(chronosUrl, method, path, body);
    const appLedger = join(dir, 'marathon.log');
    const jobLedger = join(dir, 'chronos.log');
    const app = async (): Promise<any> => {
      const res = await marathon('GET', `/v2/apps${APP}`);
      return res.status === 200 ? res.json.app : undefined;
    };
    const job = async (): Promise<any> => {
      const res = await chronos('GET', `/v1/scheduler/job/${JOB}`);
      return res.status === 200 ? res.json : undefined;
    };

    // Version 1 of the app: 4 healthy instances. At least half healthy and never more than 4
    // tasks during a restart: the rolling restart goes 2 by 2.
    const created = await marathon('POST', '/v2/apps', {
      id: APP,
      cmd: `echo "$MESOS_TASK_ID" >> ${appLedger}; sleep 600 & wait; echo ${V1}`,
      cpus: 0.1,
      mem: 16,
      instances: INSTANCES,
      healthChecks: [check(0)],
      upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 },
    });
    expect(created.status).toBe(201);
    const v1 = await waitFor(async () => {
      const current = await app();
      return current && current.deployments.length === 0 && current.tasksHealthy === INSTANCES && current.tasks.length === INSTANCES ? current : undefined;
    }, `${APP} v1 to run ${INSTANCES} healthy tasks`, 60_000, 200);
    const v1Ids = v1.tasks.map((t: any) => pandoTaskId(t.id)).sort();

    // Version 2: every task replaced; its tasks are healthy only 8 s after they start.
    const put = await marathon('PUT', `/v2/apps${APP}`, { cmd: `echo "$MESOS_TASK_ID" >> ${appLedger}; sleep 600 & wait; echo ${V2}`, healthChecks: [check(8)] });
    expect(put.status).toBe(200);
    const { deploymentId, version } = put.json as { deploymentId: string; version: string };

    // Meanwhile, a job every 2 s that lasts 1 s: a run is often going when the host dies.
    // Concurrent runs are allowed, so the instants missed during the takeover all start (late) at once.
    const start = isoIn(2000);
    const posted = await chronos('POST', '/v1/scheduler/iso8601', {
      name: JOB,
      command: `echo "$PANDO_TASK_ID" >> ${jobLedger}; sleep 1`,
      schedule: `R${JOB_RUNS}/${start}/PT2S`,
      concurrent: true,
      cpus: 0.1,
      mem: 16,
    });
    expect(posted.status).toBe(204);

    // What host A is, as its plugins' workers say: pid, framework id, lease epoch.
    const onA = { marathon: await a.status('marathon'), chronos: await a.status('chronos') };

    // Mid-way: the first new tasks are healthy and the old ones are still being replaced, and
    // (2 runs done already) a Chronos run is going.
    const healthyNew = (current: any): number => current.tasks.filter((t: any) => t.version === version && t.healthCheckResults?.[0]?.alive === true).length;
    const before = await waitFor(
      async () => {
        const current = await app();
        if (!current || current.deployments.length === 0 || healthyNew(current) < 2 || healthyNew(current) >= INSTANCES) return undefined;
        if (!((await job())?.successCount >= 2)) return undefined;
        const runs = (await chronos('GET', `/v1/scheduler/job/${JOB}/runs`)).json.runs as any[];
        return runs.some((r) => r.state === 'running') ? { app: current, runs } : undefined;
      },
      'the deployment half-way and a Chronos run going',
      60_000,
      50,
    );
    const inFlight = before.runs.filter((r: any) => r.state === 'running').map((r: any) => r.runId);

    const killedAt = Date.now();
    await a.kill9();
    // Its plugin workers go with it (they watch their IPC channel): from then on nothing of host A acts.
    await waitFor(() => !isAlive(onA.marathon.pid) && !isAlive(onA.chronos.pid), "ha-host-a's workers to exit", 10_000, 10);
    const goneAt = Date.now();
    for (const id of ['marathon', 'chronos'] as const) {
      const leading = await b.waitLeading(id, 30_000);
      expect(leading.epoch).toBeGreaterThan(onA[id].epoch!);
      const subscribed = await waitFor(() => b.status(id).then((s) => (s.driver === 'subscribed' ? s : undefined)), `ha-host-b to subscribe '${id}'`, 30_000);
      expect(subscribed.frameworkId).toBe(onA[id].frameworkId);
    }
    const takeoverMs = Date.now() - killedAt;
    process.stderr.write(
      `[ha] framework host killed with ${healthyNew(before.app)}/${INSTANCES} new tasks healthy and runs ${inFlight.join(',')} going; its workers gone after ${goneAt - killedAt} ms; the standby leads and subscribed both after ${takeoverMs} ms (lease ttl ${HOST_LEASE_TTL_MS} ms)\n`,
    );
    marathonUrl = b.urls.marathon!;
    chronosUrl = b.urls.chronos!;

    // Marathon: the same deployment goes on (no rollback, no new one) and ends with exactly the new
    // version's 4 tasks.
    expect(((await marathon('GET', '/v2/deployments')).json as any[]).map((d) => d.id).filter((id) => id !== deploymentId)).toEqual([]);
    const done = await waitFor(
      async () => {
        const current = await app();
        const deployments = (await marathon('GET', '/v2/deployments')).json as any[];
        if (!current || deployments.length > 0 || current.deployments.length > 0) return undefined;
        return current.tasks.length === INSTANCES && current.tasksHealthy === INSTANCES && current.tasks.every((t: any) => t.version === version) ? current : undefined;
      },
      'the deployment to finish on ha-host-b',
      90_000,
      200,
    );
    expect(done.cmd).toContain(V2);
    const v2Ids = done.tasks.map((t: any) => pandoTaskId(t.id)).sort();
    expect(v2Ids.some((id: string) => v1Ids.includes(id))).toBe(false);
    const listed = await marathon('GET', `/v2/apps${APP}/tasks`);
    expect(listed.json.tasks.map((t: any) => pandoTaskId(t.id)).sort()).toEqual(v2Ids);
    expect((await marathon('GET', `/v2/deployments`)).json).toEqual([]);

    // The master agrees, and launched each version's 4 tasks once: no task twice, no extra one.
    const leader = await cluster.leader();
    const state = await leader.state();
    const ofApp = frameworkTasks(state, 'marathon').filter((t) => labelOf(t, 'pando.marathon/app-id') === APP);
    const v2Master = ofApp.filter((t) => labelOf(t, 'pando.marathon/app-version') === version);
    const v1Master = ofApp.filter((t) => labelOf(t, 'pando.marathon/app-version') !== version);
    expect(v2Master.map((t) => t.id).sort()).toEqual(v2Ids);
    expect(v2Master.every((t) => t.state === 'TASK_RUNNING')).toBe(true);
    expect(v1Master.map((t) => t.id).sort()).toEqual(v1Ids);
    expect(v1Master.every((t) => t.state === 'TASK_KILLED')).toBe(true);
    // One framework per plugin, the same as before the crash, active.
    for (const id of ['marathon', 'chronos'] as const) expect(state.frameworks.filter((f: any) => f.name === id).map((f: any) => [f.id, f.active])).toEqual([[onA[id].frameworkId, true]]);
    // What ran: 8 tasks started, each once; now exactly the 4 new ones run, each in one process.
    const started = ledger(appLedger).map(pandoTaskId);
    expect(started.sort()).toEqual([...v1Ids, ...v2Ids].sort());
    expect(taskProcesses(V1)).toEqual([]);
    expect(taskProcesses(V2).map((p) => p.taskId).sort()).toEqual(v2Ids);

    // Chronos: every instant accounted for; the crash window (lease expiry + takeover) is far
    // within epsilon (60 s), so none is skipped: the missed ones ran late, once each.
    const finished = await waitFor(
      async () => {
        const current = await job();
        return current && current.successCount + current.skippedCount + current.errorCount >= JOB_RUNS ? current : undefined;
      },
      `all ${JOB_RUNS} instants of ${JOB} accounted for`,
      120_000,
      250,
    );
    expect(finished).toMatchObject({ successCount: JOB_RUNS, skippedCount: 0, errorCount: 0 });
    const runs = (await chronos('GET', `/v1/scheduler/job/${JOB}/runs`)).json.runs as any[];
    const expectedInstants = Array.from({ length: JOB_RUNS }, (_, k) => Date.parse(start) + k * PERIOD_MS);
    expect(runs.map((r) => Date.parse(r.scheduledAt)).sort((x, y) => x - y)).toEqual(expectedInstants);
    expect(runs.filter((r) => r.state !== 'succeeded' || r.attempts !== 1)).toEqual([]);
    for (const runId of inFlight) expect(runs.find((r) => r.runId === runId)).toMatchObject({ state: 'succeeded', attempts: 1 });
    // The instants between the crash and the standby taking the lease were launched late, by it.
    const chronosLeadAt = leaseAcquiredAt(b, 'chronos');
    const missed = runs.filter((r) => Date.parse(r.scheduledAt) > goneAt && Date.parse(r.scheduledAt) < chronosLeadAt);
    process.stderr.write(`[ha] ${missed.length} instants fell between the crash and the takeover (${chronosLeadAt - goneAt} ms)\n`);
    expect(missed.length).toBeGreaterThanOrEqual(Math.floor((chronosLeadAt - goneAt) / PERIOD_MS));
    for (const r of missed) expect(Date.parse(r.launchedAt)).toBeGreaterThanOrEqual(chronosLeadAt);
    // The master saw one task per instant; each executed once (the ledger), none still running.
    const jobTasks = frameworkTasks(await leader.state(), 'chronos').filter((t) => t.name === JOB);
    expect(jobTasks.map((t) => t.id).sort()).toEqual(runs.map((r) => r.taskId).sort());
    expect(new Set(jobTasks.map((t) => String(t.id).replace(/:\d+$/, ''))).size).toBe(JOB_RUNS);
    const executed = ledger(jobLedger);
    expect(executed.sort()).toEqual(runs.map((r) => r.taskId).sort());
    const executedInstants = executed.map((id) => Number(/-(\d+):\d+$/.exec(id)?.[1])).sort((x, y) => x - y);
    expect(executedInstants).toEqual(expectedInstants);

    // Updates sent vs acknowledged: none left on any agent.
    await waitForAcknowledged(cluster.agents);
    process.stderr.write(`[ha] after the crash: deployment ${deploymentId} done with ${INSTANCES} tasks of ${version}; ${JOB_RUNS} instants run once each\n`);
  });
});
