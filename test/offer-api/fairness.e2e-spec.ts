import type { Offer } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { taskSpec, type ValidatedTaskSpec } from '@pando/sdk';
import { fetchJson, TestCluster, waitFor } from '@pando/testing';
import { FAST_MASTER_ARGS, TestFramework } from './test-framework.fixture';

jest.setTimeout(90_000);

const TASK = Resources.parse('cpus:0.5;mem:64');
const AGENT = 'cpus:4;mem:512;disk:1000;ports:[31000-31010]';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A framework that fills every offer with as many long tasks as fit. */
function greedy(natsUrl: string, name: string, role: string): Promise<TestFramework> {
  return TestFramework.start({
    natsUrl,
    info: { name, roles: [role] },
    onOffers: async (fw, offers) => {
      for (const offer of offers) await fill(fw, offer);
    },
  });
}

async function fill(fw: TestFramework, offer: Offer): Promise<void> {
  fw.take(offer);
  let free = Resources.fromJson(offer.resources);
  const tasks: ValidatedTaskSpec[] = [];
  while (free.contains(TASK)) {
    tasks.push(taskSpec({ name: `${fw.driver.frameworkInfo.name}-task`, agentId: offer.agentId, resources: TASK, command: 'sleep 120' }));
    free = free.subtract(TASK);
  }
  if (tasks.length === 0) await fw.driver.decline(offer).catch(() => undefined);
  else await fw.driver.launch(offer, tasks).catch(() => undefined);
}

async function usedCpus(cluster: TestCluster): Promise<Map<string, number>> {
  const state = await cluster.master.state();
  return new Map(state.frameworks.map((f: any) => [f.id, f.used_resources.cpus as number]));
}

describe('weighted fair sharing', () => {
  let cluster: TestCluster;
  const frameworks: TestFramework[] = [];

  beforeAll(async () => {
    cluster = await TestCluster.start({ agents: 0, masterArgs: [...FAST_MASTER_ARGS, '--weights', 'light=1,heavy=3'] });
  });

  afterAll(async () => {
    for (const fw of frameworks) await fw.stop();
    await cluster?.stop();
  });

  it('shares a saturated cluster between roles of weights 1 and 3 in that ratio', async () => {
    const light = await greedy(cluster.nats.url, 'light', 'light');
    const heavy = await greedy(cluster.nats.url, 'heavy', 'heavy');
    frameworks.push(light, heavy);
    // Agents arrive while both frameworks want everything: each goes to the lower weighted share.
    for (let i = 0; i < 4; i++) await cluster.addAgent({ resources: AGENT });
    const used = await waitFor(async () => {
      const u = await usedCpus(cluster);
      return (u.get(light.id) ?? 0) + (u.get(heavy.id) ?? 0) === 16 ? u : undefined;
    }, 'the cluster saturated', 30_000);
    const lightShare = used.get(light.id)! / 16;
    const heavyShare = used.get(heavy.id)! / 16;
    process.stderr.write(`[fairness] weights 1:3 -> measured shares light ${lightShare}, heavy ${heavyShare}\n`);
    expect(Math.abs(lightShare - 0.25)).toBeLessThanOrEqual(0.025);
    expect(Math.abs(heavyShare - 0.75)).toBeLessThanOrEqual(0.075);
    const roles = (await fetchJson(`${cluster.master.url}/master/roles`)).roles;
    expect(roles).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'light', weight: 1, frameworks: [light.id], allocated: expect.objectContaining({ cpus: lightShare * 16 }) }),
        expect.objectContaining({ name: 'heavy', weight: 3, frameworks: [heavy.id], allocated: expect.objectContaining({ cpus: heavyShare * 16 }) }),
      ]),
    );
  });
});

describe('quota', () => {
  let cluster: TestCluster;
  const frameworks: TestFramework[] = [];

  beforeAll(async () => {
    const quotas = 'q=cpus:2;mem:256/cpus:3;mem:384,p=cpus:2;mem:256';
    cluster = await TestCluster.start({ agents: 3, masterArgs: [...FAST_MASTER_ARGS, '--quotas', quotas], agentOptions: [{ resources: AGENT }, { resources: AGENT }, { resources: AGENT }] });
  });

  afterAll(async () => {
    for (const fw of frameworks) await fw.stop();
    await cluster?.stop();
  });

  it('keeps guaranteed resources for quota roles and never lets a role past its limit', async () => {
    const greedyOne = await greedy(cluster.nats.url, 'greedy', 'g');
    frameworks.push(greedyOne);
    // 12 cpus, 4 of them guaranteed to q and p (which have no framework yet): g gets 8 at most.
    await waitFor(async () => (await usedCpus(cluster)).get(greedyOne.id) === 8, 'greedy at 8 cpus');
    await sleep(500);
    expect((await usedCpus(cluster)).get(greedyOne.id)).toBe(8);

    const q = await greedy(cluster.nats.url, 'q', 'q');
    const p = await greedy(cluster.nats.url, 'p', 'p');
    frameworks.push(q, p);
    await waitFor(async () => {
      const u = await usedCpus(cluster);
      return u.get(q.id) === 2 && u.get(p.id) === 2;
    }, 'q and p at their guarantees');

    // The greedy framework leaves: q may grow to its limit (3) and no further; p has no limit.
    await greedyOne.stop(true);
    const used = await waitFor(async () => {
      const u = await usedCpus(cluster);
      return u.get(q.id) === 3 && (u.get(p.id) ?? 0) === 9 ? u : undefined;
    }, 'q at its limit, p with the rest');
    await sleep(500);
    expect((await usedCpus(cluster)).get(q.id)).toBe(3);
    const roles = (await fetchJson(`${cluster.master.url}/master/roles`)).roles;
    expect(roles.find((r: any) => r.name === 'q').quota).toEqual({
      role: 'q',
      guarantee: { cpus: 2, mem: 256 },
      limit: { cpus: 3, mem: 384 },
      consumed: expect.objectContaining({ cpus: 3, mem: 384 }),
    });
    expect(used.get(p.id)).toBe(9);
  });
});
