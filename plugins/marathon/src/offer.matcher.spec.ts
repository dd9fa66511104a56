import { Resources } from '@pando/resources';
import { hostPortRequests, matchOffer, remainingOffer, type OfferMatch } from './offer.matcher';
import { app, offer, ports, scalar } from './testing/marathon.fixtures';

describe('matchOffer', () => {
  it('takes cpus, mem, disk and the lowest free ports for one instance', () => {
    const web = app({ id: 'web', cpus: 0.5, mem: 256, disk: 100, portDefinitions: [{ port: 0 }, { port: 0 }] });
    const result = matchOffer(web, offer(), []);
    expect(result).toEqual({
      matched: true,
      hostPorts: [31000, 31001],
      resources: Resources.parse('cpus:0.5;mem:256;disk:100;ports:[31000-31001]').toJson(),
    });
  });

  it('lists every reason to decline, in the order of Marathon\'s funnel', () => {
    const big = app({ id: 'big', cpus: 8, mem: 8192, disk: 1e6, gpus: 1, portDefinitions: new Array(20).fill({ port: 0 }), constraints: [['rack', 'IS', 'r9']] });
    expect(matchOffer(big, offer(), [])).toEqual({
      matched: false,
      reasons: ['UnfulfilledConstraint', 'InsufficientCpus', 'InsufficientMemory', 'InsufficientDisk', 'InsufficientGpus', 'InsufficientPorts'],
    });
  });

  it('requires the exact ports with requirePorts', () => {
    const fixed = app({ id: 'fixed', requirePorts: true, portDefinitions: [{ port: 31005 }, { port: 0 }] });
    expect((matchOffer(fixed, offer(), []) as OfferMatch).hostPorts).toEqual([31005, 31000]);
    const outside = app({ id: 'outside', requirePorts: true, portDefinitions: [{ port: 8080 }] });
    expect(matchOffer(outside, offer(), [])).toEqual({ matched: false, reasons: ['InsufficientPorts'] });
  });

  it('uses fixed host ports of bridge port mappings and any port for hostPort 0', () => {
    const bridged = app({
      id: 'bridged',
      networks: [{ mode: 'container/bridge' }],
      container: { docker: { image: 'nginx' }, portMappings: [{ containerPort: 80, hostPort: 0 }, { containerPort: 443, hostPort: 31009 }] },
    });
    expect(hostPortRequests(bridged)).toEqual([0, 31009]);
    expect((matchOffer(bridged, offer(), []) as OfferMatch).hostPorts).toEqual([31000, 31009]);
  });

  it('declines offers for another role, and resources of roles the app does not accept', () => {
    const web = app({ id: 'web' });
    expect(matchOffer(web, offer({ allocationInfo: { role: 'other' } }), [])).toEqual({ matched: false, reasons: ['UnfulfilledRole'] });
    const reservedElsewhere = offer({ resources: [scalar('cpus', 4, 'db'), scalar('mem', 4096, 'db'), ports(31000, 31010, 'db')] });
    expect(matchOffer(web, reservedElsewhere, [])).toEqual({ matched: false, reasons: ['UnfulfilledRole', 'InsufficientCpus', 'InsufficientMemory', 'InsufficientPorts'] });
    const publicOnly = app({ id: 'public', acceptedResourceRoles: ['slave_public'] });
    expect(matchOffer(publicOnly, offer(), []).matched).toBe(false);
  });

  it('uses reserved resources of the app role before unreserved ones', () => {
    const web = app({ id: 'web', role: 'web', cpus: 1.5, mem: 128, portDefinitions: [] });
    const mixed = offer({ allocationInfo: { role: 'web' }, resources: [scalar('cpus', 1, 'web'), scalar('cpus', 4), scalar('mem', 1024)] });
    const result = matchOffer(web, mixed, []) as OfferMatch;
    expect(result.resources).toEqual(expect.arrayContaining([
      { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: 'web' },
      { name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 }, role: '*' },
    ]));
  });

  it('declines when the constraints refuse the agent', () => {
    const unique = app({ id: 'u', constraints: [['hostname', 'UNIQUE']] });
    expect(matchOffer(unique, offer(), [{ hostname: 'host-1', attributes: {} }])).toEqual({ matched: false, reasons: ['UnfulfilledConstraint'] });
  });

  it('lets the rest of an offer serve the next instance', () => {
    const web = app({ id: 'web', cpus: 2, mem: 1024 });
    const first = matchOffer(web, offer(), []) as OfferMatch;
    const rest = remainingOffer(offer(), first.resources);
    const second = matchOffer(web, rest, []) as OfferMatch;
    expect(second.hostPorts).toEqual([31001]);
    const third = matchOffer(web, remainingOffer(rest, second.resources), []);
    expect(third).toEqual({ matched: false, reasons: ['InsufficientCpus'] });
  });
});
