import { LaunchQueue } from './launch-queue';
import { renderGroup, renderInfo, renderQueue } from './marathon-status.view';
import { app, offer, ports, scalar, T0 } from './testing/marathon.fixtures';

describe('renderQueue', () => {
  it("shows Marathon's queue item with the reasons offers were declined", () => {
    const web = app({ id: 'web', cpus: 64 });
    const queue = new LaunchQueue();
    queue.startLaunchAttempt(web.id, T0);
    const declined = offer({ id: 'o-1', attributes: { rack: 'r1', level: 3 }, resources: [scalar('cpus', 2), ports(31000, 31001)] });
    queue.recordNoMatch(web.id, declined, ['InsufficientCpus', 'InsufficientMemory'], T0 + 1000);
    const json = renderQueue([{ app: web, count: 1, snapshot: queue.snapshot(web, T0 + 2000) }], { embedLastUnusedOffers: true });
    const [item] = json.queue as Array<Record<string, unknown>>;
    expect(Object.keys(item!).sort()).toEqual(['app', 'count', 'delay', 'lastUnusedOffers', 'processedOffersSummary', 'since']);
    expect(item).toMatchObject({
      count: 1,
      delay: { timeLeftSeconds: 0, overdue: true },
      since: '2024-05-01T10:00:00.000Z',
      processedOffersSummary: { processedOffersCount: 1, unusedOffersCount: 1, lastUnusedOfferAt: '2024-05-01T10:00:01.000Z' },
      app: { id: '/web', cpus: 64 },
    });
    const summary = item!.processedOffersSummary as Record<string, Array<Record<string, unknown>>>;
    expect(summary.rejectSummaryLastOffers!.find((s) => s.reason === 'InsufficientCpus')).toEqual({ reason: 'InsufficientCpus', declined: 1, processed: 1 });
    expect(item!.lastUnusedOffers).toEqual([
      {
        offer: {
          id: 'o-1',
          hostname: 'host-1',
          agentId: 'agent-1',
          resources: [{ name: 'cpus', role: '*', scalar: 2 }, { name: 'ports', role: '*', ranges: [{ begin: 31000, end: 31001 }] }],
          attributes: [{ name: 'rack', text: 'r1' }, { name: 'level', scalar: 3 }],
        },
        reason: ['InsufficientCpus', 'InsufficientMemory'],
        timestamp: '2024-05-01T10:00:01.000Z',
      },
    ]);
    expect(renderQueue([{ app: web, count: 1, snapshot: queue.snapshot(web, T0) }]).queue).toEqual([expect.not.objectContaining({ lastUnusedOffers: expect.anything() })]);
  });
});

describe('renderGroup', () => {
  const entries = ['/shop/web', '/shop/db/primary', '/tools/lb', '/top'].map((id, i) => ({ app: app({ id }, T0 + i * 1000), status: { tasks: [], deploymentIds: [] } }));

  it('builds the group tree from app ids', () => {
    const root = renderGroup('/', entries)!;
    expect(Object.keys(root)).toEqual(['id', 'apps', 'groups', 'pods', 'dependencies', 'version']);
    expect((root.apps as Array<{ id: string }>).map((a) => a.id)).toEqual(['/top']);
    const groups = root.groups as Array<Record<string, unknown>>;
    expect(groups.map((g) => g.id)).toEqual(['/shop', '/tools']);
    const shop = groups[0]!;
    expect((shop.apps as Array<{ id: string }>).map((a) => a.id)).toEqual(['/shop/web']);
    expect((shop.groups as Array<Record<string, unknown>>).map((g) => [g.id, (g.apps as Array<{ id: string }>).map((a) => a.id)])).toEqual([['/shop/db', ['/shop/db/primary']]]);
    expect(root.version).toBe('2024-05-01T10:00:03.000Z');
    expect(shop.version).toBe('2024-05-01T10:00:01.000Z');
  });

  it('renders a sub-tree, honours embeds, and knows no empty groups', () => {
    expect(renderGroup('/shop/db', entries)).toMatchObject({ id: '/shop/db', groups: [] });
    expect(Object.keys(renderGroup('/shop', entries, { embedApps: false, embedGroups: false })!)).toEqual(['id', 'pods', 'dependencies', 'version']);
    expect(renderGroup('/nothing', entries)).toBeUndefined();
    expect(renderGroup('/', [])).toMatchObject({ id: '/', apps: [], groups: [] });
  });
});

describe('renderInfo', () => {
  it("uses Marathon's /v2/info field names", () => {
    const info = renderInfo({ pandoVersion: '0.1.0', frameworkId: 'fw-1', leader: 'host:8080', elected: true, stateStoreUrl: 'nats://nats:4222/marathon', httpPort: 8080, master: 'nats://nats:4222' });
    expect(Object.keys(info)).toEqual(['name', 'version', 'buildref', 'elected', 'leader', 'frameworkId', 'marathon_config', 'zookeeper_config', 'http_config']);
    expect(info).toMatchObject({
      name: 'marathon',
      version: '1.10.0',
      buildref: 'pando-0.1.0',
      zookeeper_config: { zk: 'nats://nats:4222/marathon' },
      http_config: { http_port: 8080 },
      marathon_config: { master: 'nats://nats:4222', framework_name: 'marathon', features: [] },
    });
  });
});
