import fc from 'fast-check';
import type { z } from 'zod';
import { decode, validate } from '../codec';
import { launchTasksMessageSchema, statusAckMessageSchema, statusUpdateMessageSchema } from '../messages/agent.messages';
import { okReplySchema } from '../messages/common.schema';
import { schedulerCallReplySchema, schedulerCallSchema, schedulerEventSchema } from '../messages/scheduler.messages';
import { fastCheckOf } from './fast-path';

const resources = [
  { name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } },
  { name: 'mem', type: 'SCALAR', scalar: { value: 128 }, role: 'web' },
];
const spec = {
  taskId: 't-1',
  name: 'web',
  agentId: 'agent-1',
  executor: 'command',
  resources,
  command: { value: 'sleep 1', shell: true, arguments: ['a'], env: { A: 'b' }, user: 'nobody' },
  killGracePeriodMs: 100,
  labels: { app: 'web' },
  data: 'eA==',
};
const status = {
  taskId: 't-1',
  frameworkId: 'fw-1',
  agentId: 'agent-1',
  state: 'RUNNING',
  uuid: 'u-1',
  timestamp: 1700000000000,
  source: 'SOURCE_EXECUTOR',
  reason: 'REASON_COMMAND_EXECUTOR_FAILED',
  message: 'ok',
  healthy: true,
  exitCode: 0,
};
const ack = { agentId: 'agent-1', taskId: 't-1', uuid: 'u-1' };

/** One valid message of each hot form, per schema with a fast check. */
const samples: Array<[string, z.ZodType, unknown]> = [
  ['status', statusUpdateMessageSchema, { agentId: 'agent-1', status }],
  ['statuses', statusUpdateMessageSchema, { agentId: 'agent-1', statuses: [status, { ...status, taskId: 't-2', reason: 'mine' }] }],
  ['ack', statusAckMessageSchema, { epoch: 3, taskId: 't-1', uuid: 'u-1' }],
  ['acks', statusAckMessageSchema, { epoch: 3, acks: [{ taskId: 't-1', uuid: 'u-1' }] }],
  ['launch', launchTasksMessageSchema, { epoch: 3, frameworkId: 'fw-1', tasks: [{ ...spec, frameworkId: 'fw-1' }] }],
  ['launch groups', launchTasksMessageSchema, { epoch: 3, frameworkId: 'fw-1', groups: [[{ ...spec, frameworkId: 'fw-1' }], [{ ...spec, taskId: 't-2', frameworkId: 'fw-1' }]] }],
  [
    'ACCEPT',
    schedulerCallSchema,
    {
      type: 'ACCEPT',
      frameworkId: 'fw-1',
      accept: {
        offerIds: ['o-1'],
        operations: [
          { type: 'LAUNCH', launch: { taskInfos: [spec] } },
          { type: 'LAUNCH_GROUP', launchGroup: { taskGroup: { tasks: [{ ...spec, taskId: 't-2' }] } } },
        ],
        filters: { refuseSeconds: 0 },
      },
    },
  ],
  ['ACKNOWLEDGE', schedulerCallSchema, { type: 'ACKNOWLEDGE', frameworkId: 'fw-1', acknowledge: ack }],
  ['ACKNOWLEDGE batch', schedulerCallSchema, { type: 'ACKNOWLEDGE', frameworkId: 'fw-1', acknowledgements: [ack, { ...ack, taskId: 't-2' }] }],
  ['UPDATE', schedulerEventSchema, { type: 'UPDATE', epoch: 3, update: { status } }],
  ['UPDATE batch', schedulerEventSchema, { type: 'UPDATE', epoch: 3, updates: [{ status }, { status: { ...status, uuid: undefined } }] }],
  ['ok reply', schedulerCallReplySchema, { ok: true }],
  ['ok', okReplySchema, { ok: true }],
];

/** Every path to a value inside `value` (objects and arrays), the root excluded. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof value !== 'object' || value === null) return [];
  const keys: Array<string | number> = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((key) => [[...prefix, key], ...paths((value as Record<string | number, unknown>)[key], [...prefix, key])]);
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Values that sit on or just past the schemas' bounds, and of every JSON type. */
const awkward = fc.oneof(
  fc.constantFrom('', 'x', 'a.b', 'a b', 'x'.repeat(64), 'x'.repeat(65), 'x'.repeat(100), 'x'.repeat(101), 'x'.repeat(200), 'x'.repeat(201), '*', 'SCALAR', 'RANGES', 'RUNNING', 'BOGUS', 'LAUNCH', 'UPDATE', 'ACCEPT', 'ACKNOWLEDGE', 'eng/web', '/x', '..'),
  fc.constantFrom(0, -0, -1, 0.5, 1, 2 ** 53, 2 ** 60, 1e12, 1e12 + 1, 3_600_001, 365 * 24 * 3600 + 1, Number.MAX_SAFE_INTEGER),
  fc.constantFrom(true, false, null, [], {}, [1], { ok: true }),
  fc.jsonValue(),
);

type Mutation = { kind: 'delete' | 'set' | 'add'; at: number; value: unknown; key: string };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('delete', 'set', 'add'),
  at: fc.nat(),
  value: awkward,
  key: fc.constantFrom('extra', 'ranges', 'reservation', 'container', 'status', 'statuses', 'update', 'updates', 'tasks', 'groups', 'acks', 'taskId', 'uuid', '__proto__'),
});

function mutate(base: unknown, mutations: Mutation[]): unknown {
  let value = clone(base);
  for (const m of mutations) {
    const all = paths(value);
    if (m.kind === 'add') {
      const containers = [[], ...all].filter((p) => {
        const target = p.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], value);
        return typeof target === 'object' && target !== null && !Array.isArray(target);
      });
      const path = containers[m.at % containers.length]!;
      const target = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], value) as Record<string, unknown>;
      Object.defineProperty(target, m.key, { value: clone(m.value), enumerable: true, configurable: true, writable: true });
      value = clone(value);
      continue;
    }
    if (all.length === 0) continue;
    const path = all[m.at % all.length]!;
    const parent = path.slice(0, -1).reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], value) as Record<string | number, unknown>;
    const key = path[path.length - 1]!;
    if (m.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else parent[key] = clone(m.value);
    value = clone(value);
  }
  return value;
}

describe('fast paths', () => {
  it.each(samples)('vouch for the common form of %s, which zod returns unchanged', (_name, schema, sample) => {
    const check = fastCheckOf(schema)!;
    expect(check).toBeDefined();
    expect(check(sample)).toBe(true);
    expect(schema.parse(sample)).toEqual(sample);
  });

  it('never vouch for a message zod refuses or would change (random mutations of every sample)', () => {
    for (const [name, schema, sample] of samples) {
      const check = fastCheckOf(schema)!;
      fc.assert(
        fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
          const value = mutate(sample, mutations);
          if (!check(value)) return;
          const result = schema.safeParse(value);
          if (!result.success) throw new Error(`${name}: fast path accepted what zod refuses: ${JSON.stringify(value)}: ${result.error.message}`);
          expect(result.data).toEqual(value);
        }),
        { numRuns: 400 },
      );
    }
  });

  it('leave anything else to zod, which still reports every problem with its path', () => {
    const ranges = { ...spec, resources: [{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 1, end: 2 }] } }] };
    const call = { type: 'ACCEPT', frameworkId: 'fw-1', accept: { offerIds: ['o-1'], operations: [{ type: 'LAUNCH', launch: { taskInfos: [ranges] } }] } };
    expect(fastCheckOf(schedulerCallSchema)!(call)).toBe(false);
    expect(validate(schedulerCallSchema, call, 'call')).toEqual(call);
    const bad = { agentId: 'agent-1', statuses: [status, { ...status, state: 'NAPPING', timestamp: 'soon' }] };
    expect(() => decode(statusUpdateMessageSchema, JSON.stringify(bad), 'status update')).toThrow(/statuses\.1\.state: .*; statuses\.1\.timestamp/);
  });
});
