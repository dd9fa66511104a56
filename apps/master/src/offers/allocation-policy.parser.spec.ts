import { parseQuotas, parseWeights } from './allocation-policy.parser';

describe('allocation policy options', () => {
  it('parses weights and names every problem', () => {
    expect(parseWeights('web=1, batch=3,eng/ml=0.5')).toEqual({ web: 1, batch: 3, 'eng/ml': 0.5 });
    expect(() => parseWeights('web=0,*=2,x,web=1')).toThrow(/weight of 'web'.*'\*' is not a valid role.*'x' is not role=weight/);
  });

  it('parses quotas as guarantee/limit with either part optional', () => {
    const quotas = parseQuotas('web=cpus:4;mem:1024/cpus:8;mem:2048,batch=/cpus:2,ml=gpus:1');
    expect(quotas.web!.guarantee.toString()).toBe('cpus:4;mem:1024');
    expect(quotas.web!.limit.toString()).toBe('cpus:8;mem:2048');
    expect(quotas.batch!.guarantee.isEmpty()).toBe(true);
    expect(quotas.batch!.limit.scalar('cpus')).toBe(2);
    expect(quotas.ml!.limit.isEmpty()).toBe(true);
  });

  it('refuses non-scalar, reserved or inconsistent quotas', () => {
    expect(() => parseQuotas('web=cpus:4/cpus:2')).toThrow(/exceeds its limit/);
    expect(() => parseQuotas('web=ports:[1-2]')).toThrow(/not a scalar/);
    expect(() => parseQuotas('web=cpus(web):1')).toThrow(/must not be reserved/);
    expect(() => parseQuotas('web=cpus:x')).toThrow(/web guarantee/);
  });
});
