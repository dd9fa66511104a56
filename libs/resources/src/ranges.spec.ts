import fc from 'fast-check';
import { formatRanges, normalizeRanges, rangesContain, subtractRanges, unionRanges, type Range } from './ranges';

// Reference model: explicit sets of integers, small enough to enumerate.
const rangeList = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 8 })), { maxLength: 5 })
  .map((pairs) => normalizeRanges(pairs.map(([begin, length]): Range => [begin, begin + length])));

function members(ranges: readonly Range[]): number[] {
  return ranges.flatMap(([begin, end]) => Array.from({ length: end - begin + 1 }, (_, i) => begin + i));
}

function isNormal(ranges: readonly Range[]): boolean {
  return ranges.every(([begin, end], i) => begin <= end && (i === 0 || begin > ranges[i - 1]![1] + 1));
}

describe('ranges', () => {
  it('normalises: sorts, merges overlapping and touching ranges', () => {
    expect(normalizeRanges([[5, 9], [1, 3], [4, 4], [20, 21], [8, 12]])).toEqual([[1, 12], [20, 21]]);
  });

  it('union, difference and containment match the integer-set model', () => {
    fc.assert(
      fc.property(rangeList, rangeList, (a, b) => {
        const union = unionRanges(a, b);
        const difference = subtractRanges(a, b);
        expect(isNormal(union) && isNormal(difference)).toBe(true);
        expect(members(union)).toEqual([...new Set([...members(a), ...members(b)])].sort((x, y) => x - y));
        expect(members(difference)).toEqual(members(a).filter((n) => !members(b).includes(n)));
        expect(rangesContain(a, b)).toBe(members(b).every((n) => members(a).includes(n)));
      }),
    );
  });

  it('subtracts a hole out of the middle', () => {
    expect(subtractRanges([[31000, 32000]], [[31500, 31500]])).toEqual([[31000, 31499], [31501, 32000]]);
  });

  it('formats with a chosen separator', () => {
    expect(formatRanges([[1, 2], [5, 5]])).toBe('[1-2,5-5]');
    expect(formatRanges([[1, 2], [5, 5]], ', ')).toBe('[1-2, 5-5]');
  });
});
