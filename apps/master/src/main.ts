import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { createLogger, describeError, describeOptions } from '@pando/common';
import { MasterIdentity } from './identity/master-identity';
import { MasterModule } from './master.module';
import { masterOptionSpecs, readMasterOptions, type MasterOptions } from './master.options';

const log = createLogger('master');

function optionsOrExit(argv: string[]): MasterOptions {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`usage: pando-master [options]\n\n${describeOptions(masterOptionSpecs)}\n`);
    process.exit(0);
  }
  try {
    return readMasterOptions(argv);
  } catch (err) {
    process.stderr.write(`pando-master: ${describeError(err)}\n`);
    process.exit(1);
  }
}

/** SIGTERM/SIGINT: stop serving, close HTTP and NATS, exit 0; a second signal exits at once. */
function exitOnSignals(app: INestApplication): void {
  let closing = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (closing) process.exit(1);
    closing = true;
    log.info({ signal }, `received ${signal}, shutting down`);
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: describeError(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function main(): Promise<void> {
  const options = optionsOrExit(process.argv.slice(2));
  const app = await NestFactory.create(MasterModule.forRoot({ options, leaseInWorker: true }), { logger: false });
  exitOnSignals(app);
  await app.listen(options.http.port, options.http.host);
  const identity = app.get(MasterIdentity);
  identity.setHttpPort((app.getHttpServer().address() as AddressInfo).port);
  log.info(
    { masterId: identity.masterId, epoch: identity.epoch, http: `${options.http.host}:${identity.port}`, nats: options.nats.servers },
    `master ${identity.masterId} listening on ${options.http.host}:${identity.port}`,
  );
}

main().catch((err: unknown) => {
  log.fatal({ err: describeError(err) }, 'master failed to start');
  process.exit(1);
});
