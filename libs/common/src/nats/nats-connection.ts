import { connect, type NatsConnection, type ConnectionOptions } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { NatsSettings } from './nats-settings';

/**
 * Connects with reconnection forever: a Pando process outlives NATS restarts and master
 * failovers; what it must do meanwhile (buffer, retry, re-register) is its own logic.
 */
export async function connectNats(settings: NatsSettings, name: string, log?: Logger): Promise<NatsConnection> {
  const options: ConnectionOptions = {
    servers: settings.servers,
    name,
    user: settings.user,
    pass: settings.pass,
    token: settings.token,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    pingInterval: 10_000,
    // nats.js otherwise captures a stack trace (an Error) when each request starts, in case it
    // fails. Pando's request() reports failures as UnavailableError with the subject and the
    // reason, never with that trace, and agents, frameworks and masters make requests all the time.
    noAsyncTraces: true,
  };
  if (settings.tls) {
    options.tls = { caFile: settings.tls.caFile, certFile: settings.tls.certFile, keyFile: settings.tls.keyFile };
  }
  const nc = await connect(options);
  if (log) void logStatus(nc, log);
  return nc;
}

async function logStatus(nc: NatsConnection, log: Logger): Promise<void> {
  for await (const s of nc.status()) {
    if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') {
      log.info({ nats: s.type, server: 'server' in s ? s.server : undefined }, `nats ${s.type}`);
    }
  }
}
