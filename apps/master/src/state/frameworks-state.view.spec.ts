import '../testing/quiet-logs';
import { Resources } from '@pando/resources';
import { offerHarness } from '../testing/offer-harness';
import { FrameworksStateView } from './frameworks-state.view';
import { RolesStateView } from './roles-state.view';

describe('FrameworksStateView and RolesStateView', () => {
  it('show frameworks with offers in Mesos shape, removed frameworks, and roles with quota', () => {
    const h = offerHarness();
    h.allocator.setWeights({ web: 2 });
    h.allocator.setQuota('web', { guarantee: Resources.scalars({ cpus: 1 }), limit: Resources.empty() });
    const agentId = h.addAgent(4, 1024);
    const fw = h.subscribe({ name: 'web-fw', roles: ['web'], labels: { team: 'a' }, capabilities: ['PARTITION_AWARE'] });
    const gone = h.subscribe({ name: 'gone' }, 'c2');
    h.lifecycle.remove(gone, 'torn down');
    h.cycle();
    const view = new FrameworksStateView(h.identity, h.frameworks, h.tasks, h.book);
    const { frameworks, completed_frameworks } = view.build() as { frameworks: any[]; completed_frameworks: any[] };
    expect(frameworks).toHaveLength(1);
    expect(frameworks[0]).toMatchObject({
      id: fw.id,
      name: 'web-fw',
      role: 'web',
      roles: ['web'],
      active: true,
      connected: true,
      capabilities: ['PARTITION_AWARE'],
      labels: [{ key: 'team', value: 'a' }],
      offered_resources: { cpus: 4, mem: 1024 },
      used_resources: { cpus: 0, mem: 0 },
      resources: { cpus: 4, mem: 1024 },
      failover_timeout: 604800,
    });
    expect(frameworks[0].offers).toEqual([
      { id: expect.any(String), framework_id: fw.id, slave_id: agentId, resources: expect.objectContaining({ cpus: 4, mem: 1024 }), allocation_info: { role: 'web' } },
    ]);
    expect(completed_frameworks).toEqual([expect.objectContaining({ id: gone.id, name: 'gone', active: false, connected: false })]);
    const roles = new RolesStateView(h.allocator, h.book).build();
    expect(roles.find((r) => r.name === 'web')).toMatchObject({
      weight: 2,
      frameworks: [fw.id],
      allocated: expect.objectContaining({ cpus: 4 }),
      offered: expect.objectContaining({ cpus: 4 }),
      quota: { role: 'web', guarantee: { cpus: 1 }, limit: {}, consumed: expect.objectContaining({ cpus: 4 }) },
    });
  });
});
