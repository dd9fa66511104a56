import { Resources, UNRESERVED_ROLE } from '@pando/resources';

/**
 * Scalar quantities as plain numbers, one slot per resource name, in integer thousandths
 * ("millis", the fixed point of @pando/resources) so that sums and differences stay exact. The
 * allocator's hot loop works on these instead of Resources bags: shares, quota headroom and
 * minimum-offer checks are a few array reads, with no Map lookups and no allocation.
 *
 * Vectors may be shorter than the space (a name registered after the vector was made): a
 * missing slot is zero, and writers grow the vector first.
 */
export type ScalarVector = number[];

/** Both views of a bag that the allocator needs: everything, and the reserved part of it. */
export interface ScalarSplit {
  all: ScalarVector;
  reserved: ScalarVector;
}

/** Maps scalar resource names to vector slots; slots are never reused, so vectors stay valid. */
export class ScalarSpace {
  private readonly slots = new Map<string, number>();
  private readonly slotNames: string[] = [];

  get size(): number {
    return this.slotNames.length;
  }

  /** The slot of `name`, registering it on first sight. */
  slot(name: string): number {
    let slot = this.slots.get(name);
    if (slot === undefined) {
      slot = this.slotNames.length;
      this.slots.set(name, slot);
      this.slotNames.push(name);
    }
    return slot;
  }

  name(slot: number): string {
    return this.slotNames[slot]!;
  }

  zero(): ScalarVector {
    return new Array<number>(this.size).fill(0);
  }

  /**
   * Scalar quantities of a bag, all roles summed, plus the reserved part. Walks the wire form
   * once; callers keep it out of the per-agent hot path.
   */
  split(resources: Resources): ScalarSplit {
    const all = this.zero();
    const reserved = this.zero();
    for (const entry of resources.toJson()) {
      if (entry.type !== 'SCALAR' || !entry.scalar) continue;
      const slot = this.slot(entry.name);
      const millis = toMillis(entry.scalar.value);
      addAt(all, slot, millis);
      if (entry.role !== undefined && entry.role !== UNRESERVED_ROLE) addAt(reserved, slot, millis);
    }
    return { all, reserved };
  }

  /** Scalar quantities of a bag, all roles summed. */
  vector(resources: Resources): ScalarVector {
    return this.split(resources).all;
  }

  /** Unreserved scalars `{name: millis}` back to a bag (for chopping offers to quota caps). */
  toUnreserved(vector: ScalarVector): Resources {
    const values: Record<string, number> = {};
    let any = false;
    for (let i = 0; i < vector.length; i++) {
      if (vector[i]! > 0) {
        values[this.name(i)] = vector[i]! / 1000;
        any = true;
      }
    }
    return any ? Resources.scalars(values) : Resources.empty();
  }

  /** Scalar-only quantities `{cpus: 1}` as a vector; used for quotas and minimum offers. */
  fromRecord(values: Readonly<Record<string, number>>): ScalarVector {
    const vector = this.zero();
    for (const [name, value] of Object.entries(values)) addAt(vector, this.slot(name), toMillis(value));
    return vector;
  }
}

/** Units to millis, exact for anything @pando/resources produced (it stores millis). */
export function toMillis(value: number): number {
  return Math.round(value * 1000);
}

function grow(target: ScalarVector, length: number): void {
  while (target.length < length) target.push(0);
}

export function addAt(target: ScalarVector, slot: number, millis: number): void {
  grow(target, slot + 1);
  target[slot]! += millis;
}

/** target += source */
export function addVector(target: ScalarVector, source: ScalarVector): void {
  if (target.length < source.length) grow(target, source.length);
  for (let i = 0; i < source.length; i++) target[i]! += source[i]!;
}

/** target -= source; callers only subtract what they added, so nothing goes negative. */
export function subtractVector(target: ScalarVector, source: ScalarVector): void {
  if (target.length < source.length) grow(target, source.length);
  for (let i = 0; i < source.length; i++) target[i]! -= source[i]!;
}

export function isZeroVector(vector: ScalarVector): boolean {
  for (let i = 0; i < vector.length; i++) if (vector[i] !== 0) return false;
  return true;
}

/** a - b, a fresh vector. */
export function difference(a: ScalarVector, b: ScalarVector): ScalarVector {
  const out = a.slice();
  subtractVector(out, b);
  return out;
}

/**
 * Weighted dominant share: the largest fraction of the cluster total held in any scalar,
 * divided by the weight. Resources with no total (e.g. gpus on a cluster without any) are
 * skipped so that a stray allocation never divides by zero.
 */
export function dominantShare(allocation: ScalarVector, total: ScalarVector, weight: number): number {
  let max = 0;
  const n = allocation.length < total.length ? allocation.length : total.length;
  for (let i = 0; i < n; i++) {
    const t = total[i]!;
    if (t > 0) {
      const share = allocation[i]! / t;
      if (share > max) max = share;
    }
  }
  return max / weight;
}

/** True when `vector` holds at least every quantity of `wanted` (missing slots are zero). */
export function coversVector(vector: ScalarVector, wanted: ScalarVector): boolean {
  for (let i = 0; i < wanted.length; i++) {
    const w = wanted[i]!;
    if (w > 0 && (i >= vector.length || vector[i]! < w)) return false;
  }
  return true;
}
