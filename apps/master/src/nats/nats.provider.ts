import { Inject, Injectable, type FactoryProvider, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, createLogger } from '@pando/common';
import { MasterIdentity } from '../identity/master-identity';
import { MASTER_OPTIONS_TOKEN, NATS_CONNECTION } from '../master.tokens';
import type { MasterOptions } from '../master.options';

const log = createLogger('nats');

/** The master's one NATS connection; Nest waits for it before starting anything that uses it. */
export const natsConnectionProvider: FactoryProvider<Promise<NatsConnection>> = {
  provide: NATS_CONNECTION,
  inject: [MASTER_OPTIONS_TOKEN, MasterIdentity],
  useFactory: async (options: MasterOptions, identity: MasterIdentity) => {
    log.info({ servers: options.nats.servers }, 'connecting to NATS');
    const nc = await connectNats(options.nats, `pando-master-${identity.masterId}`, log);
    log.info({ server: nc.getServer() }, 'connected to NATS');
    return nc;
  },
};

/** How long a shutdown waits for in-flight NATS work before closing anyway. */
const DRAIN_TIMEOUT_MS = 3000;

/** Closes the connection last, after the gateways stopped serving (Nest's shutdown order). */
@Injectable()
export class NatsCloser implements OnApplicationShutdown {
  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.nc.isClosed()) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, DRAIN_TIMEOUT_MS);
    });
    await Promise.race([this.nc.drain().catch(() => undefined), timeout]);
    clearTimeout(timer);
    if (!this.nc.isClosed()) await this.nc.close();
  }
}
