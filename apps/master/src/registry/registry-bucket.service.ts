import { Inject, Injectable, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, createLogger, describeError } from '@pando/common';
import { MasterIdentity } from '../identity/master-identity';
import { MASTER_OPTIONS_TOKEN, NATS_CONNECTION } from '../master.tokens';
import type { MasterOptions } from '../master.options';
import { JetStreamKv } from './kv-bucket';

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5000;

/**
 * The KV bucket the masters share (leader lease and registry), created on first use with
 * --kv-replicas replicas (an existing bucket is used as it is). Opening retries until JetStream
 * answers: a NATS cluster that is still electing its JetStream leader is not an error.
 *
 * The lease gets a NATS connection of its own: on the master's busy connection a renewal's
 * acknowledgement would wait behind thousands of inbound messages (a burst of launches and
 * status updates), and a leader must not lose its lease because it is busy.
 */
@Injectable()
export class RegistryBucket implements OnModuleDestroy, OnApplicationShutdown {
  private readonly log = createLogger('registry-bucket');
  private opening?: Promise<JetStreamKv>;
  private openingForLease?: Promise<JetStreamKv>;
  private leaseConnection?: NatsConnection;
  private stopped = false;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(MASTER_OPTIONS_TOKEN) private readonly options: MasterOptions,
    private readonly identity: MasterIdentity,
  ) {}

  open(): Promise<JetStreamKv> {
    this.opening ??= this.openWithRetries(this.nc);
    return this.opening;
  }

  /** The same bucket over the lease's own connection. */
  openForLease(): Promise<JetStreamKv> {
    this.openingForLease ??= this.open().then(async () => {
      this.leaseConnection = await connectNats(this.options.nats, `pando-master-${this.identity.masterId}-lease`, this.log);
      return this.openWithRetries(this.leaseConnection);
    });
    return this.openingForLease;
  }

  /** Every NATS connection the bucket is used over (the master's and, once opened, the lease's). */
  get connections(): NatsConnection[] {
    return this.leaseConnection ? [this.nc, this.leaseConnection] : [this.nc];
  }

  onModuleDestroy(): void {
    this.stopped = true;
  }

  /** After the lease was released (MasterElection, beforeApplicationShutdown). */
  async onApplicationShutdown(): Promise<void> {
    await this.leaseConnection?.close().catch(() => undefined);
  }

  private async openWithRetries(nc: NatsConnection): Promise<JetStreamKv> {
    const { registryBucket: name, kvReplicas: replicas } = this.options;
    let delay = RETRY_FIRST_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        const kv = await new Kvm(nc).create(name, { replicas, history: 1, description: 'pando masters: leader lease and registry' });
        this.log.info({ bucket: name, replicas }, `KV bucket ${name} ready`);
        return new JetStreamKv(kv, name);
      } catch (err) {
        if (this.stopped) throw err;
        const fields = { bucket: name, attempt, retryInMs: delay, err: describeError(err) };
        if (attempt === 1 || attempt % 10 === 0) this.log.warn(fields, `cannot open KV bucket ${name} yet: ${describeError(err)}`);
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  }
}
