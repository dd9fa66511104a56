import { InputError } from '@pando/common';
import { Resources, type ResourceJson } from '@pando/resources';
import { planReserve, planUnreserve, type ReservationContext } from './reservation-plan';

function context(principal?: string): ReservationContext {
  const offered = Resources.parse('cpus:4;mem:1024');
  return {
    framework: { id: 'fw', roles: ['web', 'api'], principal },
    agentId: 'agent-1',
    remaining: Resources.parse('cpus:4;mem:1024;cpus:2'),
    offeredByRole: new Map([
      ['web', offered],
      ['api', Resources.parse('cpus:2')],
    ]),
    reservations: Resources.empty(),
  };
}

const json = (text: string, role: string, reservation?: ResourceJson['reservation']): ResourceJson[] =>
  Resources.parse(text)
    .toJson()
    .map((r) => ({ ...r, role, ...(reservation ? { reservation } : {}) }));

describe('planReserve', () => {
  it('reserves for several roles at once, one conversion each, keeping labels', () => {
    const ctx = context('alice');
    const labels = { purpose: 'db' };
    const out = planReserve([...json('cpus:1', 'web', { type: 'DYNAMIC', labels }), ...json('cpus:2', 'api')], ctx);
    if (out instanceof InputError) throw out;
    expect(out.map((c) => [c.type, c.role, c.from.toString()])).toEqual([
      ['RESERVE', 'web', 'cpus:1'],
      ['RESERVE', 'api', 'cpus:2'],
    ]);
    expect(out[0]!.to.toJson()[0]!.reservation).toEqual({ type: 'DYNAMIC', principal: 'alice', labels });
    expect(ctx.remaining.unreserved().equals(Resources.parse('cpus:3;mem:1024'))).toBe(true);
    expect(ctx.reservations.scalar('cpus')).toBe(3);
    expect(ctx.offeredByRole.get('api')!.reservedTo('api').scalar('cpus')).toBe(2);
  });

  it('refuses a principal from a framework that has none, and leaves the context alone', () => {
    const ctx = context();
    const out = planReserve(json('cpus:1', 'web', { type: 'DYNAMIC', principal: 'bob' }), ctx);
    expect(out).toBeInstanceOf(InputError);
    expect((out as InputError).details).toEqual(["resources[0] (cpus): the reservation names principal 'bob' but the framework has none"]);
    expect(ctx.remaining.equals(Resources.parse('cpus:6;mem:1024'))).toBe(true);
    expect(ctx.reservations.isEmpty()).toBe(true);
  });

  it('checks the sum over roles against what is left', () => {
    const ctx = context();
    const out = planReserve([...json('cpus:4', 'web'), ...json('cpus:2.5', 'api')], ctx);
    expect(out).toBeInstanceOf(InputError);
    expect((out as InputError).details.join('\n')).toMatch(/reserving 'cpus:2.5' for role 'api' exceeds what the offers made in role 'api' hold unreserved \('cpus:2'\)/);
    expect((out as InputError).details.join('\n')).toMatch(/exceeds what the offers have left unreserved \('cpus:2;mem:1024'\)/);
  });
});

describe('planUnreserve', () => {
  it('gives reserved resources back as unreserved, in the role whose offer held them', () => {
    const ctx = context('alice');
    const reserved = planReserve(json('cpus:1;mem:100', 'api'), { ...ctx, offeredByRole: new Map([['api', Resources.parse('cpus:2;mem:100')]]) });
    if (reserved instanceof InputError) throw reserved;
    ctx.offeredByRole.set('api', Resources.parse('cpus:1').add(reserved[0]!.to));
    const out = planUnreserve(reserved[0]!.to.toJson(), ctx);
    if (out instanceof InputError) throw out;
    expect(out).toEqual([expect.objectContaining({ type: 'UNRESERVE', role: 'api' })]);
    expect(ctx.reservations.isEmpty()).toBe(true);
    expect(ctx.remaining.equals(Resources.parse('cpus:6;mem:1024'))).toBe(true);
  });
});
