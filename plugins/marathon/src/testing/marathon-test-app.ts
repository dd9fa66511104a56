import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Global, Module, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Clock } from '@pando/common';
import { pino } from 'pino';
import type { Offer, TaskStatus } from '@pando/protocol';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext, type PluginStore, type SchedulerDriver } from '@pando/sdk';
import { MarathonModule } from '../marathon.module';
import { ConvergenceLoop } from '../scheduler/convergence-loop.service';
import { MarathonScheduler } from '../scheduler/marathon.scheduler';
import { FakeDriver } from './fake-driver';
import { InMemoryPluginStore } from './in-memory-plugin-store';

export interface MarathonTestAppOptions {
  store?: PluginStore;
  clock?: Clock;
  options?: Record<string, string>;
  driver?: FakeDriver;
}

/**
 * The plugin's real Nest module served over real HTTP on a free port, with a fake driver, an
 * in-memory store and (optionally) a fake clock: the unit-level harness of the controllers and
 * services. What the framework host does (context provider, init before SUBSCRIBE) is done here.
 */
export class MarathonTestApp {
  private constructor(
    readonly app: INestApplication,
    readonly url: string,
    readonly driver: FakeDriver,
    readonly store: PluginStore,
    readonly context: FrameworkPluginContext,
  ) {}

  static async start(options: MarathonTestAppOptions = {}): Promise<MarathonTestApp> {
    const driver = options.driver ?? new FakeDriver();
    const store = options.store ?? new InMemoryPluginStore();
    const context: FrameworkPluginContext = {
      pluginId: 'marathon',
      driver: driver as unknown as SchedulerDriver,
      store,
      log: pino({ level: process.env.PANDO_LOG_LEVEL ?? 'silent' }),
      clock: options.clock ?? { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
      options: options.options ?? {},
      http: { port: 0, advertisedUrl: 'http://127.0.0.1:0' },
    };
    @Global()
    @Module({ providers: [{ provide: FRAMEWORK_PLUGIN_CONTEXT, useValue: context }], exports: [FRAMEWORK_PLUGIN_CONTEXT] })
    class ContextModule {}
    @Module({ imports: [ContextModule, MarathonModule] })
    class RootModule {}
    const app = await NestFactory.create(RootModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    context.http.port = port;
    context.http.advertisedUrl = `http://127.0.0.1:${port}`;
    return new MarathonTestApp(app, `http://127.0.0.1:${port}`, driver, store, context);
  }

  get<T>(type: Type<T>): T {
    return this.app.get(type);
  }

  get scheduler(): MarathonScheduler {
    return this.app.get(MarathonScheduler);
  }

  /** Runs the control loop once, now. */
  converge(): void {
    this.app.get(ConvergenceLoop).runNow();
  }

  /** Lets pending promises (store writes, driver calls) settle. */
  async settle(rounds = 5): Promise<void> {
    for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  offers(offers: Offer[]): Promise<void> {
    return this.scheduler.offers(this.context.driver, offers);
  }

  update(status: TaskStatus): void {
    this.scheduler.update(this.context.driver, status);
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: any; text: string }> {
    const init: RequestInit = { method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers } };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(`${this.url}${path}`, init);
    const text = await res.text();
    let json: unknown;
    try {
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}
