import '../testing/quiet-logs';
import { ConflictError } from '@pando/common';
import { frameworkInfoSchema, validate } from '@pando/protocol';
import type { StoredFramework } from '../registry/registry.records';
import { registerRequest, resourcesJson, taskInfo, taskReport } from '../testing/factories';
import { offerHarness } from '../testing/offer-harness';

const info = (name: string, extra: Record<string, unknown> = {}) => validate(frameworkInfoSchema, { name, roles: ['web'], ...extra }, 'framework info');

function stored(id: string, state: StoredFramework['state'], extra: Partial<StoredFramework> = {}): StoredFramework {
  return { id, info: { ...info(id, { failoverTimeoutSeconds: 60 }), id }, registeredTime: 0, state, connection: 'inbox-1', ...extra };
}

/** Frameworks a new leader reads from the registry, and what the registry is told. */
describe('FrameworkLifecycle with the registry', () => {
  it('writes frameworks when they subscribe, disconnect and are removed, and forgets the oldest removed', () => {
    const h = offerHarness({ completedFrameworks: 1 });
    const one = h.subscribe(info('one'));
    const two = h.subscribe(info('two'));
    h.lifecycle.disconnect(one, 'quiet');
    h.lifecycle.remove(one, 'torn down');
    h.lifecycle.remove(two, 'torn down');
    expect(h.registry.changes).toEqual([
      `framework ${one.id} active`,
      `framework ${two.id} active`,
      `framework ${one.id} disconnected`,
      `framework ${one.id} removed`,
      `framework ${two.id} removed`,
      `forgot framework ${one.id}`,
    ]);
    expect(h.registry.records.get(`frameworks.${two.id}`)).toMatchObject({ state: 'removed', removalReason: 'torn down' });
  });

  it('restores an active framework with its roles; its tasks are booked to it; takeOver tells its driver', () => {
    const h = offerHarness();
    h.lifecycle.restore(stored('fw-1', 'active'));
    const record = h.frameworks.get('fw-1')!;
    expect([record.phase, record.persisted, record.connection, record.roles]).toEqual(['recovered', true, 'inbox-1', ['web']]);
    const reply = h.registration.register(registerRequest({ resources: resourcesJson(4, 1024) }));
    if (!reply.ok) throw new Error('refused');
    const task = taskInfo('t1', reply.agentId, { frameworkId: 'fw-1' });
    h.registration.register(registerRequest({ agentId: reply.agentId, resources: resourcesJson(4, 1024), tasks: [taskReport(task, 'RUNNING', 'u1')] }));
    expect(h.frameworks.get('fw-1')).toBe(record);
    expect(h.tasks.usedOf('fw-1').scalar('cpus')).toBe(1);
    expect(h.lifecycle.takeOver(record)).toBe(true);
    expect(record.phase).toBe('subscribed');
    expect(h.publisher.of('fw-1', 'SUBSCRIBED')).toHaveLength(1);
    expect(h.lifecycle.takeOver(record)).toBe(false);
    expect(h.frameworks.caller('fw-1', 'inbox-1', 'RECONCILE')).toBe(record);
  });

  it('runs a disconnected framework\'s failover timeout on from when it was disconnected', () => {
    const h = offerHarness();
    h.lifecycle.restore(stored('fw-2', 'disconnected', { unregisteredTime: h.clock.now() - 50_000 }));
    expect(h.frameworks.get('fw-2')?.phase).toBe('disconnected');
    h.clock.advance(9_999);
    expect(h.frameworks.get('fw-2')).toBeDefined();
    h.clock.advance(1);
    expect(h.frameworks.get('fw-2')).toBeUndefined();
    expect(h.frameworks.getRemoved('fw-2')?.removalReason).toBe('failover timeout of 60 s expired');
  });

  it('keeps refusing a removed framework', () => {
    const h = offerHarness();
    h.lifecycle.restore(stored('fw-3', 'removed', { removalReason: 'torn down', connection: undefined }));
    expect(() => h.lifecycle.subscribe('fw-3', info('fw-3'), 'c9')).toThrow(ConflictError);
  });
});
