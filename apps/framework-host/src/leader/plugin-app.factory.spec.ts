import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Body, Controller, Get, Inject, Injectable, Module, Post } from '@nestjs/common';
import { createLogger, InputError, systemClock } from '@pando/common';
import { defineFrameworkPlugin, FRAMEWORK_PLUGIN_API_VERSION, FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext, type Scheduler } from '@pando/sdk';
import { createPluginApp } from './plugin-app.factory';

@Injectable()
class GreetingScheduler implements Scheduler {
  constructor(@Inject(FRAMEWORK_PLUGIN_CONTEXT) readonly context: FrameworkPluginContext) {}
  offers(): void {}
  update(): void {}
}

@Controller('hello')
class HelloController {
  constructor(@Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext) {}
  @Get()
  hello(): object {
    return { plugin: this.context.pluginId, greeting: this.context.options.greeting };
  }
  @Post()
  echo(@Body() body: unknown): object {
    return { received: body };
  }
}

@Module({ controllers: [HelloController], providers: [GreetingScheduler] })
class GreetingModule {}

@Module({})
class EmptyModule {}

const base = { id: 'greeting', apiVersion: FRAMEWORK_PLUGIN_API_VERSION, framework: { name: 'greeting' }, defaultPort: 0 };
const context = {
  pluginId: 'greeting',
  options: { greeting: 'hi' },
  log: createLogger('app-spec').child({}, { level: 'silent' }),
  clock: systemClock,
  http: { port: 0, advertisedUrl: 'http://127.0.0.1:0' },
} as unknown as FrameworkPluginContext; // driver and store are not used by this plugin

describe('createPluginApp', () => {
  it('gives the plugin its context, resolves its scheduler and serves its routes through the handler', async () => {
    const plugin = defineFrameworkPlugin({ ...base, module: GreetingModule, scheduler: GreetingScheduler });
    const { app, scheduler, handler } = await createPluginApp(plugin, context);
    const server: Server = createServer(handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      expect((scheduler as GreetingScheduler).context).toBe(context);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hello`;
      expect(await fetch(url).then((r) => r.json())).toEqual({ plugin: 'greeting', greeting: 'hi' });
      const posted = await fetch(url, { method: 'POST', body: JSON.stringify({ id: '/web' }), headers: { 'content-type': 'application/json' } });
      expect(await posted.json()).toEqual({ received: { id: '/web' } });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await app.close();
    }
  });

  it('names the plugin when its scheduler is not a provider of its module', async () => {
    const plugin = defineFrameworkPlugin({ ...base, module: EmptyModule, scheduler: GreetingScheduler });
    const failure = createPluginApp(plugin, context);
    await expect(failure).rejects.toThrow(InputError);
    await expect(createPluginApp(plugin, context)).rejects.toThrow("framework plugin 'greeting': its scheduler GreetingScheduler is not a provider of its module EmptyModule");
  });
});
