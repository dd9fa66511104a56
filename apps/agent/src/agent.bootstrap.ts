import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger, describeError } from '@pando/common';
import { AgentRunner } from './agent-runner.service';
import { AgentModule, type AgentModuleDeps } from './agent.module';
import type { AgentConfig } from './agent.options';

const STOP_TIMEOUT_MS = 5000;

/** A started agent: HTTP listening, NATS connected, registration under way. */
export interface RunningAgent {
  app: INestApplication;
  httpPort: number;
  /** Stops heartbeats, NATS and HTTP; tasks keep running. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Builds and starts the agent. HTTP listens first so that the actual port (with --http :0) is
 * what the agent registers with; then NATS and the master link.
 */
export async function startAgent(config: AgentConfig, deps: AgentModuleDeps): Promise<RunningAgent> {
  const log = createLogger('agent');
  // Nest's own logger would print a coloured banner; our logs are pino JSON.
  const app = await NestFactory.create(AgentModule.forRoot(config, deps), { logger: false, abortOnError: false });
  await app.listen(config.http.port, config.http.host);
  const httpPort = (app.getHttpServer().address() as AddressInfo).port;
  log.info({ host: config.http.host, port: httpPort, workDir: config.workDir }, `agent HTTP listening on ${config.http.host}:${httpPort}`);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS).unref());
      const work = (async () => {
        await app.get(AgentRunner).stop();
        await app.close();
        log.info('agent stopped');
      })().catch((err: unknown) => log.warn({ err: describeError(err) }, 'error while stopping'));
      await Promise.race([work, timeout]);
    })();
    return stopping;
  };
  try {
    await app.get(AgentRunner).start(httpPort);
  } catch (err) {
    await stop();
    throw err;
  }
  return { app, httpPort, stop };
}
