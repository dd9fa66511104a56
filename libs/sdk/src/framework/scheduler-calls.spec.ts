import { ConflictError, InputError, NotFoundError, PandoError, UnavailableError, errorFromJson } from '@pando/common';
import type { Offer } from '@pando/protocol';
import { killCall, offerIdsOf, subscribeCall, typedError } from './scheduler-calls';

describe('scheduler call builders', () => {
  it('takes offers as objects or ids, one or many', () => {
    const offer = { id: 'o1' } as Offer;
    expect(offerIdsOf(offer)).toEqual(['o1']);
    expect(offerIdsOf('o2')).toEqual(['o2']);
    expect(offerIdsOf([offer, 'o3'])).toEqual(['o1', 'o3']);
  });

  it('subscribes with the framework id at both levels once it is known', () => {
    expect(subscribeCall({ name: 'f' })).toEqual({ type: 'SUBSCRIBE', subscribe: { frameworkInfo: { name: 'f' } } });
    expect(subscribeCall({ name: 'f', id: 'fw-1' })).toEqual({ type: 'SUBSCRIBE', frameworkId: 'fw-1', subscribe: { frameworkInfo: { name: 'f', id: 'fw-1' } } });
  });

  it('leaves optional KILL fields out', () => {
    expect(killCall('fw', 't')).toEqual({ type: 'KILL', frameworkId: 'fw', kill: { taskId: 't' } });
  });
});

describe('typedError', () => {
  it('turns errors rebuilt from replies into their subclasses', () => {
    expect(typedError(errorFromJson({ code: 'NOT_FOUND', message: 'm' }))).toBeInstanceOf(NotFoundError);
    expect(typedError(errorFromJson({ code: 'CONFLICT', message: 'm' }))).toBeInstanceOf(ConflictError);
    expect(typedError(errorFromJson({ code: 'UNAVAILABLE', message: 'm' }))).toBeInstanceOf(UnavailableError);
    const input = typedError(errorFromJson({ code: 'INPUT', message: 'm', details: ['a', 'b'] }));
    expect(input).toBeInstanceOf(InputError);
    expect(input.details).toEqual(['a', 'b']);
  });

  it('keeps typed errors and wraps anything else as INTERNAL', () => {
    const conflict = new ConflictError('c');
    expect(typedError(conflict)).toBe(conflict);
    const internal = typedError(new Error('boom'));
    expect(internal).toBeInstanceOf(PandoError);
    expect(internal.code).toBe('INTERNAL');
  });
});
