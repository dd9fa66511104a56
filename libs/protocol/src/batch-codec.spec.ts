import { InputError } from '@pando/common';
import { encodeBatches } from './batch-codec';
import { decode } from './codec';
import { acksOf, launchGroupsOf, statusAckMessageSchema, statusesOf, statusUpdateMessageSchema, launchTasksMessageSchema } from './messages/agent.messages';
import { acknowledgementsOf, schedulerCallSchema, schedulerEventSchema, updatesOf } from './messages/scheduler.messages';

const text = new TextDecoder();
const json = (data: Uint8Array): unknown => JSON.parse(text.decode(data));

function status(taskId: string, extra: Record<string, unknown> = {}) {
  return { taskId, frameworkId: 'fw', agentId: 'a1', state: 'RUNNING', uuid: `u-${taskId}`, timestamp: 1, source: 'SOURCE_EXECUTOR', ...extra };
}

function task(taskId: string) {
  return { taskId, name: taskId, frameworkId: 'fw', agentId: 'a1', executor: 'sim', resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }] };
}

describe('encodeBatches', () => {
  const form = { one: 'status', many: 'statuses', maxItems: 3 };

  it('sends a lone item in the single form and several in the list form, the head first', () => {
    expect(encodeBatches({ agentId: 'a1' }, [status('t1')], form).map(json)).toEqual([{ agentId: 'a1', status: status('t1') }]);
    expect(encodeBatches({ agentId: 'a1' }, [status('t1'), status('t2')], form).map(json)).toEqual([{ agentId: 'a1', statuses: [status('t1'), status('t2')] }]);
    expect(encodeBatches({}, [1, 2], { many: 'acks', maxItems: 10 }).map(json)).toEqual([{ acks: [1, 2] }]);
    expect(encodeBatches({ epoch: 1 }, [7], { many: 'acks', maxItems: 10 }).map(json)).toEqual([{ epoch: 1, acks: [7] }]);
    expect(encodeBatches({ agentId: 'a1' }, [], form)).toEqual([]);
  });

  it('splits at the item limit and at the byte limit, and sends an oversized item alone', () => {
    const seven = Array.from({ length: 7 }, (_, i) => status(`t${i}`));
    const byCount = encodeBatches({ agentId: 'a1' }, seven, form).map(json) as Array<Record<string, unknown[]>>;
    expect(byCount.map((m) => m.statuses?.length ?? 1)).toEqual([3, 3, 1]);
    expect(byCount[2]).toEqual({ agentId: 'a1', status: seven[6] });

    const big = status('big', { message: 'x'.repeat(600) });
    const bySize = encodeBatches({ agentId: 'a1' }, [status('a'), status('b'), big, status('c')], { ...form, maxItems: 100, maxBytes: 500 });
    expect(bySize.map(json)).toEqual([
      { agentId: 'a1', statuses: [status('a'), status('b')] },
      { agentId: 'a1', status: big },
      { agentId: 'a1', status: status('c') },
    ]);
    for (const message of bySize) if (!text.decode(message).includes('"big"')) expect(message.byteLength).toBeLessThanOrEqual(500 + 40);
  });

  it('counts bytes, not characters, so that multi-byte text cannot overflow a batch', () => {
    const wide = (id: string) => status(id, { message: 'é'.repeat(100) });
    const messages = encodeBatches({ agentId: 'a1' }, [wide('a'), wide('b'), wide('c')], { ...form, maxBytes: 600 });
    expect(messages.length).toBeGreaterThan(1);
    expect(messages.flatMap((m) => statusesOf(decode(statusUpdateMessageSchema, m, 'status update')).map((s) => s.taskId))).toEqual(['a', 'b', 'c']);
  });
});

describe('batched message forms', () => {
  it('reads every agent message in its single and its batch form', () => {
    const single = decode(statusUpdateMessageSchema, JSON.stringify({ agentId: 'a1', status: status('t1') }), 'status update');
    const batch = decode(statusUpdateMessageSchema, JSON.stringify({ agentId: 'a1', statuses: [status('t1'), status('t2')] }), 'status update');
    expect(statusesOf(single).map((s) => s.taskId)).toEqual(['t1']);
    expect(statusesOf(batch).map((s) => s.taskId)).toEqual(['t1', 't2']);

    expect(acksOf(decode(statusAckMessageSchema, '{"epoch":1,"taskId":"t1","uuid":"u1"}', 'ack'))).toEqual([{ taskId: 't1', uuid: 'u1' }]);
    expect(acksOf(decode(statusAckMessageSchema, '{"epoch":1,"acks":[{"taskId":"t1","uuid":"u1"},{"taskId":"t2","uuid":"u2"}]}', 'ack'))).toHaveLength(2);

    const one = decode(launchTasksMessageSchema, JSON.stringify({ epoch: 1, frameworkId: 'fw', tasks: [task('t1'), task('t2')] }), 'launch');
    const many = decode(launchTasksMessageSchema, JSON.stringify({ epoch: 1, frameworkId: 'fw', groups: [[task('t1')], [task('t2')]] }), 'launch');
    expect(launchGroupsOf(one).map((g) => g.map((t) => t.taskId))).toEqual([['t1', 't2']]);
    expect(launchGroupsOf(many).map((g) => g.map((t) => t.taskId))).toEqual([['t1'], ['t2']]);
  });

  it('reads UPDATE events and ACKNOWLEDGE calls in both forms', () => {
    const update = decode(schedulerEventSchema, JSON.stringify({ type: 'UPDATE', epoch: 1, update: { status: status('t1') } }), 'event');
    const updates = decode(schedulerEventSchema, JSON.stringify({ type: 'UPDATE', epoch: 1, updates: [{ status: status('t1') }, { status: status('t2') }] }), 'event');
    if (update.type !== 'UPDATE' || updates.type !== 'UPDATE') throw new Error('not UPDATE');
    expect(updatesOf(update).map((s) => s.taskId)).toEqual(['t1']);
    expect(updatesOf(updates).map((s) => s.taskId)).toEqual(['t1', 't2']);

    const ack = { agentId: 'a1', taskId: 't1', uuid: 'u1' };
    const single = decode(schedulerCallSchema, JSON.stringify({ type: 'ACKNOWLEDGE', frameworkId: 'fw', acknowledge: ack }), 'call');
    const batch = decode(schedulerCallSchema, JSON.stringify({ type: 'ACKNOWLEDGE', frameworkId: 'fw', acknowledgements: [ack, { ...ack, taskId: 't2' }] }), 'call');
    if (single.type !== 'ACKNOWLEDGE' || batch.type !== 'ACKNOWLEDGE') throw new Error('not ACKNOWLEDGE');
    expect(acknowledgementsOf(single)).toEqual([ack]);
    expect(acknowledgementsOf(batch).map((a) => a.taskId)).toEqual(['t1', 't2']);
  });

  it('refuses a message with both forms or neither, naming the fields', () => {
    const problem = (f: () => unknown): string => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(InputError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(problem(() => decode(statusUpdateMessageSchema, '{"agentId":"a1"}', 'status update'))).toMatch(/'status' or 'statuses'/);
    expect(problem(() => decode(statusUpdateMessageSchema, JSON.stringify({ agentId: 'a1', status: status('t1'), statuses: [status('t2')] }), 'status update'))).toMatch(/not both/);
    expect(problem(() => decode(statusUpdateMessageSchema, JSON.stringify({ agentId: 'a1', statuses: [status('t1'), { taskId: 't2' }] }), 'status update'))).toMatch(/statuses\.1\.frameworkId/);
    expect(problem(() => decode(statusAckMessageSchema, '{"epoch":1}', 'ack'))).toMatch(/'acks'/);
    expect(problem(() => decode(statusAckMessageSchema, '{"epoch":1,"taskId":"t1"}', 'ack'))).toMatch(/go together/);
    expect(problem(() => decode(launchTasksMessageSchema, '{"epoch":1,"frameworkId":"fw"}', 'launch'))).toMatch(/'tasks' or 'groups'/);
    expect(problem(() => decode(schedulerEventSchema, '{"type":"UPDATE","epoch":1}', 'event'))).toMatch(/'update' or 'updates'/);
    expect(problem(() => decode(schedulerCallSchema, '{"type":"ACKNOWLEDGE","frameworkId":"fw"}', 'call'))).toMatch(/'acknowledge' or 'acknowledgements'/);
  });
});
