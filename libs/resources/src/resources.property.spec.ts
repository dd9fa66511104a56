import fc from 'fast-check';
import { nearbyResourcesArb, resourcesArb } from './resources.arbitraries';
import { Resources } from './resources';

const isScalar = (r: { type: string }) => r.type === 'SCALAR';

/** Drops from `b` every range and set item that `a` holds under the same key. */
function disjointFrom(b: Resources, a: Resources): Resources {
  return b.filter(isScalar).add(b.filter((r) => !isScalar(r)).subtract(a));
}

function hasNegativeScalar(r: Resources): boolean {
  return r.toJson().some((j) => j.scalar !== undefined && j.scalar.value < 0);
}

describe('Resources algebra (properties)', () => {
  const bag = resourcesArb();
  const smallBag = resourcesArb(true);

  it('a + b - b == a when b shares no ranges or set items with a', () => {
    // Union followed by difference loses what a and b had in common, so only disjoint non-scalar
    // parts round-trip; scalars always do.
    fc.assert(
      fc.property(bag, bag, (a, raw) => {
        const b = disjointFrom(raw, a);
        expect(a.add(b).subtract(b).equals(a)).toBe(true);
      }),
    );
  });

  it('scalars: a + b - b == a always', () => {
    fc.assert(
      fc.property(bag, bag, (a, b) => {
        const scalarsOnly = a.filter(isScalar);
        expect(scalarsOnly.add(b.filter(isScalar)).subtract(b.filter(isScalar)).equals(scalarsOnly)).toBe(true);
      }),
    );
  });

  it('add is commutative and associative', () => {
    fc.assert(
      fc.property(bag, bag, bag, (a, b, c) => {
        expect(a.add(b).equals(b.add(a))).toBe(true);
        expect(a.add(b).add(c).equals(a.add(b.add(c)))).toBe(true);
      }),
    );
  });

  it('(a + b) contains a and b', () => {
    fc.assert(
      fc.property(bag, bag, (a, b) => {
        expect(a.add(b).contains(a)).toBe(true);
        expect(a.add(b).contains(b)).toBe(true);
      }),
    );
  });

  it('contains is reflexive', () => {
    fc.assert(fc.property(bag, (a) => expect(a.contains(a)).toBe(true)));
  });

  // Pairs and chains are built with nearbyResourcesArb: independent random bags almost never
  // contain one another, which would leave these implications vacuously true.
  const nearPair = bag.chain((a) => fc.tuple(fc.constant(a), nearbyResourcesArb(a)));
  const nearChain = nearPair.chain(([a, b]) => fc.tuple(fc.constant(a), fc.constant(b), nearbyResourcesArb(b)));

  it('contains is antisymmetric', () => {
    fc.assert(
      fc.property(nearPair, ([a, b]) => {
        expect(a.contains(b) && b.contains(a)).toBe(a.equals(b));
      }),
    );
    fc.assert(
      fc.property(smallBag, smallBag, (a, b) => {
        if (a.contains(b) && b.contains(a)) expect(a.equals(b)).toBe(true);
      }),
    );
  });

  it('contains is transitive', () => {
    fc.assert(
      fc.property(nearChain, ([a, b, c]) => {
        if (a.contains(b) && b.contains(c)) expect(a.contains(c)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(bag, bag, bag, (a, x, y) => {
        const b = a.subtract(x);
        const c = b.subtract(y);
        expect(a.contains(b) && b.contains(c) && a.contains(c)).toBe(true);
      }),
    );
  });

  it('a - b never goes negative and is contained in a', () => {
    fc.assert(
      fc.property(bag, bag, (a, b) => {
        const difference = a.subtract(b);
        expect(hasNegativeScalar(difference)).toBe(false);
        expect(a.contains(difference)).toBe(true);
      }),
    );
  });

  it('equals is symmetric and ignores construction order', () => {
    fc.assert(
      fc.property(bag, (a) => {
        const reversed = Resources.fromJson(a.toJson().reverse());
        expect(reversed.equals(a) && a.equals(reversed)).toBe(true);
      }),
    );
  });

  it('parse(toString(x)) == x', () => {
    fc.assert(
      fc.property(bag, (a) => {
        expect(Resources.parse(a.toString()).equals(a)).toBe(true);
      }),
    );
  });

  it('fromJson(toJson(x)) == x, also through JSON text', () => {
    fc.assert(
      fc.property(bag, (a) => {
        expect(Resources.fromJson(a.toJson()).equals(a)).toBe(true);
        expect(Resources.fromJson(JSON.parse(JSON.stringify(a))).equals(a)).toBe(true);
      }),
    );
  });

  it('scalar sums are exact in thousandths', () => {
    expect(Resources.scalars({ cpus: 0.1 }).add(Resources.scalars({ cpus: 0.2 })).scalar('cpus')).toBe(0.3);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1e6 }), { maxLength: 20 }), (millis) => {
        const sum = millis.reduce((acc, m) => acc.addInPlace(Resources.scalars({ cpus: m / 1000 })), Resources.empty());
        expect(sum.scalar('cpus')).toBe(millis.reduce((a, b) => a + b, 0) / 1000);
      }),
    );
  });

  it('addInPlace / subtractInPlace agree with add / subtract and leave the argument alone', () => {
    fc.assert(
      fc.property(bag, bag, (a, b) => {
        const aText = a.toString();
        const bText = b.toString();
        const sum = Resources.empty().addInPlace(a);
        expect(sum.addInPlace(b)).toBe(sum);
        expect(sum.equals(a.add(b))).toBe(true);
        const difference = Resources.empty().addInPlace(a);
        expect(difference.subtractInPlace(b)).toBe(difference);
        expect(difference.equals(a.subtract(b))).toBe(true);
        // Mutating the results must not reach the bags they were built from.
        sum.subtractInPlace(sum);
        difference.addInPlace(b).addInPlace(b);
        expect(a.toString()).toBe(aText);
        expect(b.toString()).toBe(bText);
      }),
    );
  });

  it('flatten keeps totals and drops every role', () => {
    fc.assert(
      fc.property(bag, (a) => {
        const flat = a.flatten();
        expect(flat.toJson().every((r) => r.role === '*' && r.reservation === undefined)).toBe(true);
        for (const name of a.names()) {
          expect(flat.scalar(name)).toBe(a.scalar(name));
          expect(flat.ranges(name)).toEqual(a.ranges(name));
          expect(flat.set(name)).toEqual(a.set(name));
        }
      }),
    );
  });
});
