import fc from 'fast-check';
import type { ReservationJson, ResourceJson } from './resource.types';
import { Resources } from './resources';

/**
 * fast-check generators for the property specs. Each name keeps one kind, as Mesos requires.
 * `small` shrinks every domain so that generated bags collide often; otherwise properties such
 * as antisymmetry would only ever see their vacuous case.
 */
const ROLES = ['*', 'web', 'eng', 'eng/web', 'a-b_c.d'];
const SMALL_ROLES = ['*', 'web'];

function reservationArb(small: boolean): fc.Arbitrary<ReservationJson | undefined> {
  if (small) return fc.constantFrom(undefined, { type: 'DYNAMIC' as const, principal: 'ops' });
  const reservation = fc.record(
    {
      type: fc.constantFrom('STATIC' as const, 'DYNAMIC' as const),
      principal: fc.string(),
      labels: fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
    },
    { requiredKeys: ['type'] },
  );
  return fc.option(reservation, { nil: undefined });
}

function identityArb(small: boolean) {
  return fc
    .tuple(fc.constantFrom(...(small ? SMALL_ROLES : ROLES)), reservationArb(small))
    .map(([role, reservation]) => (role === '*' || !reservation ? { role } : { role, reservation }));
}

function scalarArb(small: boolean): fc.Arbitrary<ResourceJson> {
  const names = small ? ['cpus'] : ['cpus', 'mem', 'disk', 'gpus', 'custom.x'];
  const millis = small ? fc.integer({ min: 0, max: 3000 }) : fc.integer({ min: 0, max: 1e9 });
  return fc
    .tuple(fc.constantFrom(...names), millis, identityArb(small))
    .map(([name, m, identity]) => ({ name, type: 'SCALAR' as const, scalar: { value: m / 1000 }, ...identity }));
}

function rangesArb(small: boolean): fc.Arbitrary<ResourceJson> {
  const range = fc
    .tuple(fc.integer({ min: 0, max: small ? 20 : 70000 }), fc.integer({ min: 0, max: small ? 3 : 200 }))
    .map(([begin, length]) => ({ begin, end: begin + length }));
  return fc
    .tuple(fc.constantFrom('ports', 'ephemeral_ports'), fc.array(range, { maxLength: small ? 2 : 5 }), identityArb(small))
    .map(([name, range, identity]) => ({ name, type: 'RANGES' as const, ranges: { range }, ...identity }));
}

function setArb(small: boolean): fc.Arbitrary<ResourceJson> {
  // Full strings (quotes, commas, braces, unicode) exercise the quoting of the text form.
  const item = small ? fc.constantFrom('a', 'b', 'c') : fc.oneof(fc.constantFrom('sda', 'sdb', 'gpu-0'), fc.string());
  return fc
    .tuple(fc.constantFrom('disks', 'zones'), fc.array(item, { maxLength: small ? 2 : 4 }), identityArb(small))
    .map(([name, items, identity]) => ({ name, type: 'SET' as const, set: { item: items }, ...identity }));
}

export function resourceJsonArb(small = false): fc.Arbitrary<ResourceJson> {
  return fc.oneof(scalarArb(small), rangesArb(small), setArb(small));
}

export function resourcesArb(small = false): fc.Arbitrary<Resources> {
  return fc.array(resourceJsonArb(small), { maxLength: small ? 3 : 8 }).map((json) => Resources.fromJson(json));
}

/** Nudges one resource a little: a thousandth more or less, a port more or less, an item more or less. */
function tweak(resource: ResourceJson): fc.Arbitrary<ResourceJson> {
  const delta = fc.constantFrom(-1, 1);
  if (resource.scalar) {
    const millis = Math.round(resource.scalar.value * 1000);
    return delta.map((d) => ({ ...resource, scalar: { value: Math.max(0, millis + d) / 1000 } }));
  }
  if (resource.ranges) {
    const range = resource.ranges.range;
    return delta.map((d) => {
      const last = range[range.length - 1];
      if (!last) return resource;
      const end = Math.max(last.begin, last.end + d);
      return { ...resource, ranges: { range: [...range.slice(0, -1), { begin: last.begin, end }] } };
    });
  }
  const items = resource.set?.item ?? [];
  return fc.boolean().map((grow) => ({ ...resource, set: { item: grow ? [...items, 'extra'] : items.slice(1) } }));
}

/**
 * A bag close to `bag`: most resources kept, some dropped or nudged. Pairs built this way
 * contain each other (or nearly) often, which random pairs almost never do.
 */
export function nearbyResourcesArb(bag: Resources): fc.Arbitrary<Resources> {
  const choices = bag.toJson().map((resource) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constant<ResourceJson | undefined>(resource) },
      { weight: 1, arbitrary: fc.constant<ResourceJson | undefined>(undefined) },
      { weight: 1, arbitrary: tweak(resource) },
    ),
  );
  return fc.tuple(...choices).map((list) => Resources.fromJson(list.filter((r): r is ResourceJson => r !== undefined)));
}
