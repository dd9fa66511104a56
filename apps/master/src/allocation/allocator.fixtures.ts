import { Resources } from '@pando/resources';
import type { Allocation, Allocator, AllocatorOptions } from './allocator.interface';
import { createAllocator } from './allocator.factory';

/** Helpers shared by the allocation specs (not used by production code). */

export const T0 = Date.UTC(2026, 0, 1);

/** mulberry32: a tiny seeded PRNG so specs shuffle agents reproducibly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A DRF allocator with a settable clock and a seeded shuffle. */
export function testAllocator(options: AllocatorOptions = {}): { allocator: Allocator; clock: { time: number; now(): number } } {
  const clock = {
    time: T0,
    now() {
      return this.time;
    },
  };
  const allocator = createAllocator('drf', { clock, random: seededRandom(7), ...options });
  return { allocator, clock };
}

export function addAgents(allocator: Allocator, count: number, text: string, prefix = 'agent'): string[] {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${i}`;
    allocator.addAgent(id, Resources.parse(text), { hostname: `${id}.test`, attributes: {} });
    ids.push(id);
  }
  return ids;
}

/** Sum of scalar `name` per key (role or framework) over some allocations. */
export function sumBy(allocations: readonly Allocation[], key: 'role' | 'frameworkId', name: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const a of allocations) sums.set(a[key], (sums.get(a[key]) ?? 0) + a.resources.scalar(name));
  return sums;
}

export function recoverAll(allocator: Allocator, allocations: readonly Allocation[]): void {
  for (const a of allocations) allocator.recoverResources(a.frameworkId, a.agentId, a.resources);
}
