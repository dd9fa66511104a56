import { schedulerCallSchema } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { reservedFor, reserveOperation, unreserveOperation } from './reservations';

describe('reservations', () => {
  it('builds the reserved form of resources, and RESERVE/UNRESERVE operations the master accepts', () => {
    const reserved = reservedFor(Resources.parse('cpus:1;mem:128;ports:[31000-31001];cpus(other):1'), 'web', { principal: 'alice', labels: { app: 'db' } });
    expect(reserved.toJson()).toEqual([
      { name: 'cpus', type: 'SCALAR', scalar: { value: 2 }, role: 'web', reservation: { type: 'DYNAMIC', principal: 'alice', labels: { app: 'db' } } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 128 }, role: 'web', reservation: { type: 'DYNAMIC', principal: 'alice', labels: { app: 'db' } } },
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31001 }] }, role: 'web', reservation: { type: 'DYNAMIC', principal: 'alice', labels: { app: 'db' } } },
    ]);
    const call = { type: 'ACCEPT', frameworkId: 'fw', accept: { offerIds: ['o1'], operations: [reserveOperation(reserved), unreserveOperation(reserved.toJson())] } };
    expect(schedulerCallSchema.safeParse(call).success).toBe(true);
    expect(() => reservedFor(Resources.parse('cpus:1'), '*')).toThrow(/needs a role other than '\*'/);
  });
});
