import type { RequestListener } from 'node:http';
import { Module, type DynamicModule, type INestApplication, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { describeError, InputError, type Logger } from '@pando/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPlugin, type FrameworkPluginContext, type Scheduler } from '@pando/sdk';

/** Holds the context provider; global, so any provider or controller of the plugin can inject it. */
@Module({})
class PluginContextModule {}

/** The root of a plugin's app: the context module and the plugin's own module. */
@Module({})
class PluginHostModule {}

export interface PluginApp {
  app: INestApplication;
  /** The plugin's scheduler instance, as Nest built it (with its injected dependencies). */
  scheduler: Scheduler;
  /** The app's request handler, mounted on the plugin's front server. */
  handler: RequestListener;
}

/**
 * Builds and initialises the plugin's Nest app (OnModuleInit / OnApplicationBootstrap hooks run
 * here, so the plugin loads its state before the driver starts) and resolves its scheduler.
 * The app does not listen: the front server, which owns the port, calls its handler.
 */
export async function createPluginApp(plugin: FrameworkPlugin, context: FrameworkPluginContext): Promise<PluginApp> {
  const contextModule: DynamicModule = {
    module: PluginContextModule,
    global: true,
    providers: [{ provide: FRAMEWORK_PLUGIN_CONTEXT, useValue: context }],
    exports: [FRAMEWORK_PLUGIN_CONTEXT],
  };
  const root: DynamicModule = { module: PluginHostModule, imports: [contextModule, plugin.module] };
  let app: INestApplication;
  try {
    app = await NestFactory.create(root, { logger: nestLogger(context.log), abortOnError: false, bodyParser: true });
    await app.init();
  } catch (err) {
    throw new InputError(`framework plugin '${plugin.id}': its module failed to start: ${describeError(err)}`);
  }
  let scheduler: Scheduler;
  try {
    scheduler = app.get(plugin.scheduler, { strict: false });
  } catch (err) {
    await app.close().catch(() => undefined);
    throw new InputError(`framework plugin '${plugin.id}': its scheduler ${plugin.scheduler.name} is not a provider of its module ${plugin.module.name}: ${describeError(err)}`);
  }
  if (typeof scheduler?.offers !== 'function' || typeof scheduler.update !== 'function') {
    await app.close().catch(() => undefined);
    throw new InputError(`framework plugin '${plugin.id}': its scheduler ${plugin.scheduler.name} does not implement Scheduler (offers and update are required)`);
  }
  const handler = app.getHttpAdapter().getInstance() as RequestListener;
  return { app, scheduler, handler };
}

/** Nest's own log lines (route mapping, unhandled controller errors) go to the plugin's pino logger. */
function nestLogger(log: Logger): LoggerService {
  const text = (message: unknown): string => (typeof message === 'string' ? message : describeError(message));
  const context = (params: unknown[]): Record<string, unknown> => ({ nest: params.filter((p) => typeof p === 'string').at(-1) });
  return {
    log: (message, ...params) => log.debug(context(params), text(message)),
    error: (message, ...params) => log.error({ ...context(params), stack: params.find((p) => typeof p === 'string' && p.includes('\n')) }, text(message)),
    warn: (message, ...params) => log.warn(context(params), text(message)),
    debug: (message, ...params) => log.debug(context(params), text(message)),
    verbose: (message, ...params) => log.trace(context(params), text(message)),
    fatal: (message, ...params) => log.fatal(context(params), text(message)),
  };
}
