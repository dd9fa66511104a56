import { resourceJsonSchema, resourcesJsonSchema } from './resource.schema';

function problems(schema: { safeParse(x: unknown): { error?: { issues: Array<{ path: PropertyKey[]; message: string }> } } }, input: unknown) {
  return (schema.safeParse(input).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('resourceJsonSchema', () => {
  it('accepts each kind, with roles and reservations', () => {
    const valid = [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } },
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 32000 }] }, role: '*' },
      { name: 'disks', type: 'SET', set: { item: ['a', 'b'] }, role: 'eng/web' },
      { name: 'mem', type: 'SCALAR', scalar: { value: 1 }, role: 'web', reservation: { type: 'DYNAMIC', principal: 'ops', labels: { k: 'v' } } },
    ];
    for (const resource of valid) expect(problems(resourceJsonSchema, resource)).toEqual([]);
  });

  it.each([
    ['NaN scalar', { name: 'cpus', type: 'SCALAR', scalar: { value: NaN } }, 'scalar.value'],
    ['infinite scalar', { name: 'cpus', type: 'SCALAR', scalar: { value: Infinity } }, 'scalar.value'],
    ['negative scalar', { name: 'cpus', type: 'SCALAR', scalar: { value: -1 } }, 'scalar.value'],
    ['end before begin', { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 5, end: 3 }] } }, 'ranges.range.0'],
    ['fractional bound', { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 1.5, end: 3 }] } }, 'ranges.range.0.begin'],
    ['bad name', { name: 'c pus', type: 'SCALAR', scalar: { value: 1 } }, 'name'],
    ['bad role', { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: 'eng/' }, 'role'],
    ['leading slash role', { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: '/eng' }, 'role'],
    ['missing value field', { name: 'cpus', type: 'SCALAR' }, 'scalar'],
    ['value of another kind', { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, set: { item: [] } }, 'set'],
    ['unreserved reservation', { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, reservation: { type: 'DYNAMIC' } }, 'reservation'],
    ['unknown reservation type', { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: 'web', reservation: { type: 'X' } }, 'reservation.type'],
  ])('rejects %s', (_label, input, path) => {
    expect(problems(resourceJsonSchema, input).map((p) => p.split(':')[0])).toContain(path);
  });

  it('reports every problem at once', () => {
    const input = { name: 'c pus', type: 'SCALAR', scalar: { value: -1 }, ranges: { range: [{ begin: 5, end: 3 }] }, role: '/x' };
    expect(problems(resourceJsonSchema, input).map((p) => p.split(':')[0])).toEqual(['name', 'scalar.value', 'ranges.range.0', 'role', 'ranges']);
  });
});

describe('resourcesJsonSchema', () => {
  it('rejects one name used with two kinds, and bad items, together', () => {
    const input = [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }, { name: 'cpus', type: 'SET', set: { item: [] } }, 5];
    expect(problems(resourcesJsonSchema, input)).toEqual(['2: Invalid input: expected object, received number', "1.type: 'cpus' is both SCALAR and SET"]);
  });
});
