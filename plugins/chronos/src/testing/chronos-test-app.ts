import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger } from '@pando/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';
import type { FakeClock } from '@pando/testing';
import { ChronosModule } from '../chronos.module';
import { ChronosScheduler } from '../chronos.scheduler';
import { FakeMaster } from './fake-master';
import { MemoryPluginStore } from './memory-plugin-store';

export interface ChronosTestApp {
  app: INestApplication;
  scheduler: ChronosScheduler;
  store: MemoryPluginStore;
  /** The HTTP base URL, when started with `http: true`. */
  url: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  clock: FakeClock;
  master: FakeMaster;
  /** Share a bucket with an earlier app (a restarted host). */
  store?: MemoryPluginStore;
  options?: Record<string, string>;
  http?: boolean;
}

/**
 * The Chronos plugin in process, as the framework host would run it: its Nest module with a
 * context (FakeMaster's driver, an in-memory store, the FakeClock), bootstrapped (jobs loaded,
 * tick loop started) and subscribed.
 */
export async function startChronosTestApp(options: TestAppOptions): Promise<ChronosTestApp> {
  const store = options.store ?? new MemoryPluginStore();
  const context: FrameworkPluginContext = {
    pluginId: 'chronos',
    driver: undefined as never,
    store,
    log: createLogger('chronos-test'),
    clock: options.clock,
    options: { retryBaseMs: '1000', ...options.options },
    http: { port: 0, advertisedUrl: 'http://chronos.test:4400' },
  };
  const app = await NestFactory.create({ module: ChronosModule, providers: [{ provide: FRAMEWORK_PLUGIN_CONTEXT, useValue: context }] }, { logger: false });
  const scheduler = app.get(ChronosScheduler);
  context.driver = options.master.connect(scheduler);
  let url = '';
  if (options.http) {
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  } else {
    await app.init();
  }
  await options.master.subscribe();
  return {
    app,
    scheduler,
    store,
    url,
    close: async () => {
      options.master.disconnect(scheduler);
      await app.close();
    },
  };
}

/** Lets promises (store writes, update callbacks) run between fake-clock steps. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Advances the fake clock in steps, letting the plugin's async work finish after each. */
export async function advance(clock: FakeClock, ms: number, stepMs = 10): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    clock.advance(Math.min(stepMs, ms - done));
    await flush();
  }
}
