/**
 * Allocator benchmark: full allocation cycles of the default (hierarchical DRF) allocator.
 *
 * A cluster of AGENTS identical agents and FRAMEWORKS frameworks spread over ROLES roles, all
 * wanting resources. Every timed cycle is a full one: between cycles (not timed) every
 * allocation is recovered, as if every offer had been declined without a filter.
 *
 *   npm run build && node dist/bench/allocator.bench.js
 *   AGENTS=1000 FRAMEWORKS=100 CYCLES=5 node dist/bench/allocator.bench.js
 *
 * Progress goes to stderr; the last stdout line is one JSON object with the results.
 *
 * Garbage collection is left alone: a major GC started by the (untimed) recovery's garbage can
 * land in a timed cycle, which shows in cycleMsMax, as it would in a running master.
 */
import { Resources } from '@pando/resources';
import { createAllocator, type Allocation, type Allocator } from '../apps/master/src/allocation';
import { envInt } from './bench-env';

const AGENT_RESOURCES = 'cpus:16;mem:65536;disk:200000;ports:[31000-32000]';


/** Small seeded PRNG (mulberry32) so that runs shuffle agents the same way. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function setUp(agents: number, frameworks: number, roles: number): Allocator {
  const allocator = createAllocator('drf', { random: seeded(42) });
  const total = Resources.parse(AGENT_RESOURCES);
  for (let i = 0; i < agents; i++) {
    allocator.addAgent(`agent-${i}`, total, { hostname: `host-${i}.bench`, attributes: { rack: `r${i % 40}` } });
  }
  for (let i = 0; i < frameworks; i++) allocator.addFramework(`framework-${i}`, { roles: [`role-${i % roles}`] });
  return allocator;
}

function recoverAll(allocator: Allocator, allocations: readonly Allocation[]): void {
  for (const a of allocations) allocator.recoverResources(a.frameworkId, a.agentId, a.resources);
}

function main(): void {
  const agents = envInt('AGENTS', 10_000, 1);
  const frameworks = envInt('FRAMEWORKS', 1_000, 1);
  const roles = envInt('ROLES', 10, 1);
  const cycles = envInt('CYCLES', 20, 1);
  const warmup = envInt('WARMUP', 2, 0);

  let started = performance.now();
  const allocator = setUp(agents, frameworks, roles);
  process.stderr.write(
    `allocator bench: ${agents} agents, ${frameworks} frameworks in ${roles} roles; set up in ${round(performance.now() - started)} ms\n`,
  );

  const times: number[] = [];
  const offers: number[] = [];
  let now = Date.now();
  for (let cycle = 0; cycle < warmup + cycles; cycle++) {
    started = performance.now();
    const allocations = allocator.allocate(now);
    const elapsed = performance.now() - started;
    const timed = cycle >= warmup;
    if (timed) {
      times.push(elapsed);
      offers.push(allocations.length);
    }
    started = performance.now();
    recoverAll(allocator, allocations);
    const label = timed ? `cycle ${cycle - warmup + 1}/${cycles}` : `warm-up ${cycle + 1}/${warmup}`;
    process.stderr.write(
      `${label}: ${round(elapsed)} ms, ${allocations.length} offers (recovered in ${round(performance.now() - started)} ms)\n`,
    );
    if (allocations.length !== agents) process.stderr.write(`  warning: a full cycle should make ${agents} offers\n`);
    now += 1000;
  }

  const sorted = [...times].sort((a, b) => a - b);
  const sortedOffers = [...offers].sort((a, b) => a - b);
  const result = {
    bench: 'allocator',
    agents,
    frameworks,
    cycleMsP50: round(percentile(sorted, 50)),
    cycleMsMax: round(sorted[sorted.length - 1]!),
    offers: percentile(sortedOffers, 50),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main();
