import fc from 'fast-check';
import { storeKey, storeKeyPart } from './plugin-store.interface';

describe('storeKey', () => {
  it('keeps simple parts readable and joins them with dots', () => {
    expect(storeKey('apps', 'web')).toBe('apps.web');
  });

  it('encodes parts KV would refuse, reversibly, into KV-safe keys', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (part) => {
        const key = storeKey('jobs', part);
        expect(key).toMatch(/^[-/_=.a-zA-Z0-9]+$/);
        expect(storeKeyPart(key.slice('jobs.'.length))).toBe(part);
      }),
    );
  });
});
