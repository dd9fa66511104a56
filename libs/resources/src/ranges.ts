/** An inclusive integer interval. Lists of ranges are always sorted, merged and non-overlapping. */
export type Range = readonly [begin: number, end: number];

/** Sorts and merges arbitrary ranges; touching ranges ([1-3],[4-5]) merge too, being integers. */
export function normalizeRanges(input: Iterable<Range>): Range[] {
  const sorted = [...input].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [begin, end] of sorted) {
    const last = out[out.length - 1];
    if (last && begin <= last[1] + 1) last[1] = Math.max(last[1], end);
    else out.push([begin, end]);
  }
  return out;
}

/** Union of two normalised lists in one linear pass (the allocator adds ranges a lot). */
export function unionRanges(a: readonly Range[], b: readonly Range[]): Range[] {
  if (a.length === 0) return b.slice();
  if (b.length === 0) return a.slice();
  const out: Array<[number, number]> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && a[i]![0] <= b[j]![0]) ? a[i++]! : b[j++]!;
    const last = out[out.length - 1];
    if (last && next[0] <= last[1] + 1) last[1] = Math.max(last[1], next[1]);
    else out.push([next[0], next[1]]);
  }
  return out;
}

/** Set difference a \ b of two normalised lists. */
export function subtractRanges(a: readonly Range[], b: readonly Range[]): Range[] {
  if (a.length === 0 || b.length === 0) return a.slice();
  const out: Range[] = [];
  let j = 0;
  for (const [begin, end] of a) {
    let cursor = begin;
    // b ranges wholly below this a range can never matter again, since a is sorted.
    while (j < b.length && b[j]![1] < cursor) j++;
    for (let k = j; k < b.length && b[k]![0] <= end && cursor <= end; k++) {
      const [cutBegin, cutEnd] = b[k]!;
      if (cutBegin > cursor) out.push([cursor, cutBegin - 1]);
      cursor = Math.max(cursor, cutEnd + 1);
    }
    if (cursor <= end) out.push([cursor, end]);
  }
  return out;
}

/** True when every range of `inner` lies inside `outer`. */
export function rangesContain(outer: readonly Range[], inner: readonly Range[]): boolean {
  let i = 0;
  for (const [begin, end] of inner) {
    while (i < outer.length && outer[i]![1] < begin) i++;
    // outer is merged, so a covered range must sit inside a single outer range.
    const candidate = outer[i];
    if (!candidate || candidate[0] > begin || candidate[1] < end) return false;
  }
  return true;
}

export function rangesEqual(a: readonly Range[], b: readonly Range[]): boolean {
  return a.length === b.length && a.every((r, i) => r[0] === b[i]![0] && r[1] === b[i]![1]);
}

/** "[31000-32000,33000-33005]"; the separator differs between the text form and the state JSON. */
export function formatRanges(ranges: readonly Range[], separator = ','): string {
  return `[${ranges.map(([begin, end]) => `${begin}-${end}`).join(separator)}]`;
}
