import { ResourceParseError } from './resource-parse.error';
import { Resources } from './resources';

function parseError(text: string): ResourceParseError {
  try {
    Resources.parse(text);
  } catch (error) {
    if (error instanceof ResourceParseError) return error;
    throw error;
  }
  throw new Error(`'${text}' parsed without error`);
}

describe('Resources.parse / toString', () => {
  it('parses the Mesos text form', () => {
    const r = Resources.parse('cpus:4;mem:8192;disk:20000;ports:[31000-32000];gpus:1');
    expect(r.scalar('cpus')).toBe(4);
    expect(r.scalar('mem')).toBe(8192);
    expect(r.ranges('ports')).toEqual([[31000, 32000]]);
    expect(r.names()).toEqual(['cpus', 'disk', 'gpus', 'mem', 'ports']);
  });

  it('handles roles, sets, whitespace and repeats', () => {
    const r = Resources.parse(' cpus(web) : 2 ; mem(*):128; cpus(web):0.5;ports:[ 21000-24000 , 30000-34000 ];disks:{ b , a };cpus:1;');
    expect(r.scalar('cpus', 'web')).toBe(2.5);
    expect(r.scalar('cpus', '*')).toBe(1);
    expect(r.scalar('cpus')).toBe(3.5);
    expect(r.set('disks')).toEqual(['a', 'b']);
    expect(r.toString()).toBe('cpus:1;cpus(web):2.5;disks:{a,b};mem:128;ports:[21000-24000,30000-34000]');
  });

  it('merges overlapping and single-port ranges', () => {
    expect(Resources.parse('ports:[80-80,81-90,85-100];ports:[200-300]').ranges('ports')).toEqual([[80, 100], [200, 300]]);
  });

  it('treats the empty string, zeros and empty values as empty', () => {
    expect(Resources.parse('').isEmpty()).toBe(true);
    expect(Resources.parse('  ').isEmpty()).toBe(true);
    expect(Resources.parse('cpus:0;ports:[];disks:{}').isEmpty()).toBe(true);
    expect(Resources.empty().toString()).toBe('');
  });

  it.each([
    ['cpus:', 'cpus: missing value'],
    ['cpus:1.2.3', "cpus: '1.2.3' is not a number"],
    ['cpus:-1', 'cpus: must not be negative'],
    ['ports:[5-3]', 'ports: range 5-3 ends before it begins'],
    ['ports:[a-b]', "ports: 'a-b' is not a range"],
    ['ports:[80]', "ports: '80' is not a range"],
    ['ports:[1-2', "ports: '[1-2' is missing ']'"],
    ['foo', "'foo': expected name:value"],
    ['cpus(:1', "'cpus(:1': unbalanced parentheses"],
    ['c pus:1', "'c pus:1': invalid name 'c pus'"],
    ['cpus(/web):1', "'cpus(/web):1': invalid role '/web'"],
    ['cpus(web/):1', "'cpus(web/):1': invalid role 'web/'"],
    ['cpus(web)x:1', "'cpus(web)x:1': unexpected text after ')'"],
    ['disks:{a,,b}', 'disks: empty set item'],
    ['cpus:1;cpus:[1-2]', 'cpus: is both SCALAR and RANGES'],
  ])('rejects %s', (text, problem) => {
    expect(parseError(text).problems).toEqual([problem]);
  });

  it('lists every problem in one error', () => {
    const error = parseError('cpus:x;mem:-1');
    expect(error.message).toBe("invalid resources 'cpus:x;mem:-1': cpus: 'x' is not a number; mem: must not be negative");
    expect(parseError('cpus:x;mem:1;ports:[1-2,x,9-3];foo').problems).toEqual([
      "cpus: 'x' is not a number",
      "ports: 'x' is not a range",
      'ports: range 9-3 ends before it begins',
      "'foo': expected name:value",
    ]);
  });

  it('writes dynamic reservations and awkward set items so that they parse back', () => {
    const r = Resources.fromJson([
      { name: 'cpus', type: 'SCALAR', scalar: { value: 2 }, role: 'web', reservation: { type: 'DYNAMIC', principal: 'a;b', labels: { k: ')' } } },
      { name: 'disks', type: 'SET', set: { item: ['plain', 'with space', 'a,b', '}'] } },
    ]);
    expect(r.toString()).toBe('cpus(web,{"type":"DYNAMIC","principal":"a;b","labels":{"k":")"}}):2;disks:{"a,b",plain,"with space","}"}');
    expect(Resources.parse(r.toString()).equals(r)).toBe(true);
  });
});

describe('Resources JSON', () => {
  it('writes the Mesos v1 shape with explicit roles', () => {
    const r = Resources.parse('cpus(web):1.5;ports:[1-2,4-5];disks:{b,a}');
    expect(r.toJson()).toEqual([
      { name: 'cpus', type: 'SCALAR', scalar: { value: 1.5 }, role: 'web' },
      { name: 'disks', type: 'SET', set: { item: ['a', 'b'] }, role: '*' },
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 1, end: 2 }, { begin: 4, end: 5 }] }, role: '*' },
    ]);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r.toJson());
  });

  it('merges duplicates and treats a bare STATIC reservation as a plain role', () => {
    const r = Resources.fromJson([
      { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 }, role: 'web' },
      { name: 'cpus', type: 'SCALAR', scalar: { value: 0.2 }, role: 'web', reservation: { type: 'STATIC' } },
      { name: 'cpus', type: 'SCALAR', scalar: { value: 1 } },
      { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: '*' },
    ]);
    expect(r.toString()).toBe('cpus:2;cpus(web):0.3');
  });

  it('keeps different reservations apart', () => {
    const r = Resources.fromJson([
      { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: 'web' },
      { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: 'web', reservation: { type: 'DYNAMIC', principal: 'ops' } },
    ]);
    expect(r.toJson()).toHaveLength(2);
    expect(r.contains(Resources.parse('cpus(web):2'))).toBe(false);
    expect(r.scalar('cpus', 'web')).toBe(2);
  });
});

describe('Resources.toStateJson', () => {
  it('always reports cpus, mem, disk and gpus, summing roles', () => {
    expect(Resources.parse('cpus:4;cpus(web):0.5;mem:8192;ports:[31000-32000,33000-33005]').toStateJson()).toEqual({
      cpus: 4.5,
      mem: 8192,
      disk: 0,
      gpus: 0,
      ports: '[31000-32000, 33000-33005]',
    });
    expect(Resources.empty().toStateJson()).toEqual({ cpus: 0, mem: 0, disk: 0, gpus: 0 });
  });

  it('keeps scalars to three decimals', () => {
    expect(Resources.scalars({ cpus: 0.1 }).add(Resources.scalars({ cpus: 0.2 })).toStateJson()['cpus']).toBe(0.3);
  });
});

describe('Resources algebra examples', () => {
  it('clamps subtraction at zero and drops emptied entries', () => {
    const r = Resources.parse('cpus:1;mem:128').subtract(Resources.parse('cpus:2;mem:28;disk:5'));
    expect(r.toString()).toBe('mem:100');
  });

  it('removes ports and set items', () => {
    const r = Resources.parse('ports:[31000-31010];disks:{a,b}').subtract(Resources.parse('ports:[31005-31005];disks:{a,c}'));
    expect(r.toString()).toBe('disks:{b};ports:[31000-31004,31006-31010]');
  });

  it('contains by name, role and reservation', () => {
    const offer = Resources.parse('cpus:4;cpus(web):1;ports:[31000-32000];disks:{a,b}');
    expect(offer.contains(Resources.parse('cpus:4;ports:[31000-31000,31500-31600];disks:{a}'))).toBe(true);
    expect(offer.contains(Resources.parse('cpus:4.001'))).toBe(false);
    expect(offer.contains(Resources.parse('cpus(web):2'))).toBe(false);
    expect(offer.contains(Resources.parse('cpus(db):1'))).toBe(false);
    expect(offer.contains(Resources.parse('ports:[30999-31000]'))).toBe(false);
    expect(offer.contains(Resources.parse('disks:{c}'))).toBe(false);
    expect(offer.contains(Resources.empty())).toBe(true);
  });

  it('is immutable except for the in-place variants, which return the same object', () => {
    const a = Resources.parse('cpus:1');
    const b = Resources.parse('cpus:2');
    expect(a.add(b).scalar('cpus')).toBe(3);
    expect(a.scalar('cpus')).toBe(1);
    expect(a.addInPlace(b)).toBe(a);
    expect(a.scalar('cpus')).toBe(3);
    expect(a.subtractInPlace(Resources.parse('cpus:5'))).toBe(a);
    expect(a.isEmpty()).toBe(true);
    expect(b.scalar('cpus')).toBe(2);
  });

  it('handles adding or subtracting a bag to itself', () => {
    const a = Resources.parse('cpus:1;ports:[1-5];disks:{a}');
    expect(a.addInPlace(a).toString()).toBe('cpus:2;disks:{a};ports:[1-5]');
    expect(a.subtractInPlace(a).isEmpty()).toBe(true);
  });

  it('sums 0.1 + 0.2 to exactly 0.3', () => {
    const sum = Resources.scalars({ cpus: 0.1 }).add(Resources.scalars({ cpus: 0.2 }));
    expect(sum.scalar('cpus')).toBe(0.3);
    expect(sum.equals(Resources.scalars({ cpus: 0.3 }))).toBe(true);
  });

  it('validates scalars() input', () => {
    expect(Resources.scalars({ cpus: 1, mem: 128 }, 'web').toString()).toBe('cpus(web):1;mem(web):128');
    expect(() => Resources.scalars({ cpus: -1, 'bad name': 1, mem: NaN }, '/x')).toThrow(
      "invalid scalar resources: invalid role '/x'; cpus: -1 is not a non-negative number; invalid name 'bad name'; mem: NaN is not a non-negative number",
    );
  });
});

describe('Resources roles', () => {
  const agent = Resources.parse('cpus:8;cpus(eng):2;cpus(eng/web):1;cpus(eng/db):4;cpus(engineering):16;cpus(ops):32');

  it('allocatableTo gives unreserved, own and ancestor reservations', () => {
    expect(agent.allocatableTo('eng/web').toString()).toBe('cpus:8;cpus(eng):2;cpus(eng/web):1');
    expect(agent.allocatableTo('eng').toString()).toBe('cpus:8;cpus(eng):2');
    expect(agent.allocatableTo('ops').toString()).toBe('cpus:8;cpus(ops):32');
    expect(agent.allocatableTo('eng/web/api').scalar('cpus')).toBe(11);
    expect(agent.allocatableTo('*').toString()).toBe('cpus:8');
  });

  it('reservedTo is exact; unreserved is the * part', () => {
    expect(agent.reservedTo('eng').toString()).toBe('cpus(eng):2');
    expect(agent.reservedTo('*').isEmpty()).toBe(true);
    expect(agent.unreserved().toString()).toBe('cpus:8');
  });

  it('flatten merges every role into *', () => {
    expect(agent.flatten().toString()).toBe('cpus:63');
  });

  it('filter sees the wire JSON', () => {
    expect(agent.filter((r) => r.role?.startsWith('eng/') ?? false).toString()).toBe('cpus(eng/db):4;cpus(eng/web):1');
  });
});

describe('Resources.takePorts', () => {
  const offer = Resources.parse('cpus:1;ports:[31000-31002,31010-31020]');

  it('takes the lowest ports, spanning ranges', () => {
    expect(offer.takePorts(2)?.toString()).toBe('ports:[31000-31001]');
    expect(offer.takePorts(5)?.toString()).toBe('ports:[31000-31002,31010-31011]');
    expect(offer.takePorts(14)?.ranges('ports')).toEqual([[31000, 31002], [31010, 31020]]);
    expect(offer.takePorts(0)?.isEmpty()).toBe(true);
  });

  it('returns undefined when there are not enough ports', () => {
    expect(offer.takePorts(15)).toBeUndefined();
    expect(Resources.parse('cpus:1').takePorts(1)).toBeUndefined();
  });

  it('keeps roles so the result subtracts cleanly from the offer', () => {
    const mixed = Resources.parse('ports:[31000-31005];ports(web):[1000-1001]');
    const taken = mixed.takePorts(3)!;
    expect(taken.toString()).toBe('ports:[31000-31000];ports(web):[1000-1001]');
    expect(mixed.contains(taken)).toBe(true);
    expect(mixed.subtract(taken).toString()).toBe('ports:[31001-31005]');
  });

  it('rejects a bad count', () => {
    expect(() => offer.takePorts(-1)).toThrow(RangeError);
    expect(() => offer.takePorts(1.5)).toThrow(RangeError);
  });
});
