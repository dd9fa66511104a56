import { Controller, Get, Header, Inject, UseFilters } from '@nestjs/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';
import { renderInfo } from '../marathon-status.view';
import { MARATHON_OPTIONS } from '../marathon.tokens';
import { MARATHON_ROLE, type MarathonOptions } from '../marathon.options';
import { MarathonMetrics } from './marathon-metrics.service';
import { MarathonExceptionFilter } from './marathon-exception.filter';

/** Pando's version, reported as Marathon's buildref. */
export const PANDO_VERSION = '0.1.0';

/** `/v2/info`, `/v2/leader`, `/ping` and `/metrics`. */
@Controller()
@UseFilters(MarathonExceptionFilter)
export class InfoController {
  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext,
    @Inject(MARATHON_OPTIONS) private readonly options: MarathonOptions,
    private readonly metrics: MarathonMetrics,
  ) {}

  @Get('v2/info')
  info(): Record<string, unknown> {
    const driver = this.context.driver;
    const info = driver.frameworkInfo;
    return renderInfo({
      pandoVersion: PANDO_VERSION,
      ...(driver.frameworkId !== undefined ? { frameworkId: driver.frameworkId } : {}),
      leader: this.leader(),
      elected: true,
      stateStoreUrl: `pando-kv://${this.context.pluginId}`,
      httpPort: this.context.http.port,
      frameworkName: info.name,
      role: MARATHON_ROLE,
      failoverTimeoutSeconds: info.failoverTimeoutSeconds,
    });
  }

  @Get('v2/leader')
  leaderOf(): Record<string, unknown> {
    return { leader: this.leader() };
  }

  @Get('ping')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'must-revalidate,no-cache,no-store')
  ping(): string {
    return 'pong';
  }

  @Get('metrics')
  metricsJson(): Record<string, unknown> {
    return this.metrics.snapshot();
  }

  /** `host:port` this host serves the API at (Marathon's leader field). */
  private leader(): string {
    try {
      return new URL(this.context.http.advertisedUrl).host;
    } catch {
      return `localhost:${this.context.http.port}`;
    }
  }
}
