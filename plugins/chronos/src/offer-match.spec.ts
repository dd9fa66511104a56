import type { Offer } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { DueQueue } from './due-queue';
import { parseJob } from './job.schema';
import { fitsOffer, meetsConstraints } from './offer-match';
import { OfferPool } from './offer-pool';
import { jobResources } from './run-task.factory';

const offer = (id: string, agentId: string, resources: string, extra: Partial<Offer> = {}): Offer => ({
  id,
  frameworkId: 'fw',
  agentId,
  hostname: `${agentId}.example`,
  resources: Resources.parse(resources).toJson(),
  attributes: { rack: 'r1', zone: 'eu-1' },
  executors: ['command'],
  allocationInfo: { role: '*' },
  ...extra,
});

describe('constraints', () => {
  const at = { hostname: 'node-7.example', attributes: { rack: 'r1', level: 3 } };
  it('match EQUALS, LIKE and UNLIKE (full-match regular expressions) on attributes and the host name', () => {
    expect(meetsConstraints([['rack', 'EQUALS', 'r1']], at)).toBe(true);
    expect(meetsConstraints([['rack', 'EQUALS', 'r2']], at)).toBe(false);
    expect(meetsConstraints([['hostname', 'LIKE', 'node-[0-9]+\\.example']], at)).toBe(true);
    expect(meetsConstraints([['hostname', 'LIKE', 'node']], at)).toBe(false);
    expect(meetsConstraints([['level', 'LIKE', '[0-3]']], at)).toBe(true);
    expect(meetsConstraints([['rack', 'UNLIKE', 'r[12]']], at)).toBe(false);
    expect(meetsConstraints([['missing', 'UNLIKE', 'x']], at)).toBe(true);
    expect(meetsConstraints([['missing', 'LIKE', '.*']], at)).toBe(false);
  });
});

describe('offer pool', () => {
  it('pools the offers of one agent, so that one ACCEPT uses them together', () => {
    const pool = new OfferPool();
    pool.add(offer('o1', 'a1', 'cpus:0.1;mem:64;disk:100'), 0);
    pool.add(offer('o2', 'a1', 'cpus:0.1;mem:64;disk:200'), 5);
    pool.add(offer('o3', 'a2', 'cpus:1;mem:512;disk:1000'), 5);
    expect(pool.size).toBe(2);
    expect(pool.offerCount).toBe(3);
    const a1 = pool.agents().find((a) => a.agentId === 'a1')!;
    expect(a1.remaining.scalar('cpus')).toBeCloseTo(0.2);
    expect(a1.receivedAtMs).toBe(0);
    const job = parseJob({ name: 'j', command: 'x', schedule: 'R/2026-01-01T00:00:00Z/PT1M', cpus: 0.2, mem: 128, disk: 300 }, { kind: 'scheduled' });
    expect(fitsOffer(job, jobResources(job), 'command', a1)).toBe(true);
    expect(fitsOffer(job, jobResources(job), 'docker', a1)).toBe(false);
    pool.remove('o2');
    expect(fitsOffer(job, jobResources(job), 'command', pool.agents().find((a) => a.agentId === 'a1')!)).toBe(false);
    expect([...pool.take('a1')!.offers.keys()]).toEqual(['o1']);
    expect(pool.offerCount).toBe(1);
  });
});

describe('due queue', () => {
  it('groups ids by time and hands out everything due, earliest first', () => {
    const queue = new DueQueue();
    queue.add('b', 2000);
    queue.add('a', 1000);
    queue.add('c', 2000);
    queue.add('d', 3000);
    queue.add('a', 2500); // moved
    expect(queue.earliest()).toBe(2000);
    queue.remove('d');
    expect(queue.takeDue(2600)).toEqual(['b', 'c', 'a']);
    expect(queue.size).toBe(0);
    expect(queue.earliest()).toBeUndefined();
  });
});
