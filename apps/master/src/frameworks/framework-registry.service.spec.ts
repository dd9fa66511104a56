import '../testing/quiet-logs';
import { ConflictError, NotFoundError } from '@pando/common';
import { connectionOf, FrameworkRegistry } from './framework-registry.service';

const info = { name: 'fw', roles: ['*'], failoverTimeoutSeconds: 60, capabilities: [] };

describe('FrameworkRegistry', () => {
  it('refuses calls for unknown, unsubscribed, removed or foreign frameworks with typed errors', () => {
    const registry = new FrameworkRegistry({ completedFrameworks: 10 });
    const record = registry.add('fw-1', info, 'subscribed', 0);
    record.connection = '_INBOX.A';
    expect(registry.caller('fw-1', '_INBOX.A', 'KILL')).toBe(record);
    expect(() => registry.caller('fw-2', '_INBOX.A', 'KILL')).toThrow(NotFoundError);
    expect(() => registry.caller('fw-1', '_INBOX.B', 'KILL')).toThrow(/another connection/);
    record.phase = 'disconnected';
    expect(() => registry.caller('fw-1', '_INBOX.A', 'KILL')).toThrow(ConflictError);
    registry.retire(record, 'torn down', 5);
    expect(() => registry.caller('fw-1', '_INBOX.A', 'KILL')).toThrow(/was removed \(torn down\)/);
  });

  it('keeps a bounded history of removed frameworks', () => {
    const registry = new FrameworkRegistry({ completedFrameworks: 2 });
    for (const id of ['a', 'b', 'c']) registry.retire(registry.add(id, info, 'subscribed', 0), 'gone', 1);
    expect([...registry.removed()].map((r) => r.id)).toEqual(['b', 'c']);
    expect(registry.size).toBe(0);
  });

  it('hands out distinct subject-safe ids', () => {
    const registry = new FrameworkRegistry({ completedFrameworks: 2 });
    const ids = new Set([registry.newId(), registry.newId()]);
    expect(ids.size).toBe(2);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_\-:]+$/);
  });

  it('derives the caller connection from the reply inbox', () => {
    expect(connectionOf('_INBOX.ABC.def')).toBe('_INBOX.ABC');
    expect(connectionOf(undefined)).toBeUndefined();
  });
});
