import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, createLogger, describeError, systemClock, type Logger } from '@pando/common';
import type { FrameworkPlugin } from '@pando/sdk';
import { HOST_STATUS_PATH, PluginFrontServer, type FrontState } from '../http/plugin-front.server';
import { PluginLeadership } from '../leader/plugin-leadership';
import { LEASES_BUCKET, PluginLease, pluginLeaseKey } from '../lease/plugin-lease';
import { loadPluginFrom } from '../plugins/plugin-loader';
import { KvPluginStore, pluginBucketName } from '../store/kv-plugin.store';
import type { WorkerConfig } from './worker-config';

/**
 * Exit code of a worker whose leadership ended (lease lost, framework refused, the plugin failed to
 * start or to persist its framework id): the supervisor restarts it, as a standby.
 */
export const EXIT_LEADERSHIP_ENDED = 3;

/**
 * One plugin on this host, in its own process: binds the plugin's port, campaigns for the plugin's
 * lease, proxies to the leader while standing by, and runs the plugin while leading. Crash-only:
 * whatever ends leadership ends the process, and the supervisor starts a fresh standby.
 */
export class PluginWorker {
  private front: PluginFrontServer | undefined;
  private lease: PluginLease | undefined;
  private leadership: PluginLeadership | undefined;
  private nc: NatsConnection | undefined;
  private advertisedUrl = '';
  private stopping = false;
  private readonly log: Logger;

  constructor(
    private readonly config: WorkerConfig,
    private readonly exit: (code: number) => never = (code) => process.exit(code),
  ) {
    this.log = createLogger('framework-host.worker', { plugin: config.pluginId, hostId: config.hostId });
  }

  async start(): Promise<void> {
    const { config } = this;
    const plugin = await loadPluginFrom(config.source, config.spec);
    this.nc = await connectNats(config.nats, `pando-framework-host:${config.pluginId}`, this.log);
    const kvm = new Kvm(this.nc);
    const bucket = pluginBucketName(plugin.id);
    const [pluginKv, leasesKv] = await Promise.all([
      kvm.create(bucket, { replicas: config.kvReplicas, history: 1, description: `state of framework plugin '${plugin.id}'` }),
      kvm.create(LEASES_BUCKET, { replicas: config.kvReplicas, history: 1, description: 'leader leases' }),
    ]);
    const store = new KvPluginStore(pluginKv, bucket);
    this.front = new PluginFrontServer(this.frontState(), config.hostId, this.log);
    const port = await this.front.listen(config.port, config.httpHost);
    this.advertisedUrl = `http://${config.advertiseHost}:${port}`;
    this.log.info({ port, url: this.advertisedUrl }, `plugin '${plugin.id}' listening on ${config.httpHost}:${port} (status: ${HOST_STATUS_PATH}); campaigning for the lease`);
    this.lease = new PluginLease({
      store: new KvPluginStore(leasesKv, LEASES_BUCKET),
      key: pluginLeaseKey(plugin.id),
      me: { holder: config.hostId, url: this.advertisedUrl, pid: process.pid },
      ttlMs: config.leaseTtlMs,
      clock: systemClock,
      log: this.log,
      onAcquired: (epoch) => void this.lead(plugin, store, port, epoch),
      onLost: (reason) => this.crash(`lost the lease: ${reason}`),
    });
    this.lease.start();
  }

  /** SIGTERM: stop the driver (the framework fails over), close the app, release the lease. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    // The lease is renewed while the plugin stops, then deleted so a standby takes over at once.
    if (this.lease?.role === 'leader') await this.leadership?.stop();
    await this.lease?.release();
    await this.front?.close();
    await this.nc?.close().catch(() => undefined);
  }

  private async lead(plugin: FrameworkPlugin, store: KvPluginStore, port: number, epoch: number): Promise<void> {
    this.log.info({ epoch }, `leading plugin '${plugin.id}' (epoch ${epoch})`);
    const leadership = new PluginLeadership({
      plugin,
      nc: this.nc as NatsConnection,
      store,
      log: createLogger(`plugin.${plugin.id}`),
      clock: systemClock,
      options: Object.freeze({ ...this.config.options }),
      http: { port, advertisedUrl: this.advertisedUrl },
      advertiseHost: this.config.advertiseHost,
      onFatal: (reason) => this.crash(reason),
    });
    this.leadership = leadership;
    try {
      await leadership.start();
    } catch (err) {
      this.crash(`plugin '${plugin.id}' failed to start: ${describeError(err)}`);
    }
  }

  /** Crash-only: no graceful shutdown of anything, the process ends now. */
  private crash(reason: string): never {
    this.log.fatal({ reason }, `stopping plugin worker: ${reason}`);
    return this.exit(EXIT_LEADERSHIP_ENDED);
  }

  private frontState(): FrontState {
    return {
      handler: () => (this.lease?.role === 'leader' ? this.leadership?.handler : undefined),
      leading: () => this.lease?.role === 'leader',
      leaderUrl: () => {
        const leader = this.lease?.leader;
        return leader && leader.url !== this.advertisedUrl ? leader.url : undefined;
      },
      status: () => ({
        plugin: this.config.pluginId,
        hostId: this.config.hostId,
        pid: process.pid,
        url: this.advertisedUrl,
        role: this.lease?.role ?? 'starting',
        ready: this.lease?.role === 'leader' ? Boolean(this.leadership?.handler) : undefined,
        epoch: this.lease?.role === 'leader' ? this.lease.epoch : undefined,
        leader: this.lease?.leader ?? null,
        frameworkId: this.leadership?.frameworkId,
        driver: this.leadership?.driverState,
      }),
    };
  }
}
