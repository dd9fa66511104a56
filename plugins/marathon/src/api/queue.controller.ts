import { Controller, Delete, Get, HttpCode, Req, UseFilters } from '@nestjs/common';
import { resolvePathId } from '../path-id';
import { InstanceKeeper } from '../scheduler/instance-keeper.service';
import { AppStore } from '../state/app-store.service';
import { AppViews } from './app-views.service';
import { appNotFound } from './marathon-http.errors';
import { MarathonExceptionFilter } from './marathon-exception.filter';
import { queryList, type HttpRequest } from './http-request';

/** `/v2/queue`: apps waiting for instances, and why offers did not fit them. */
@Controller()
@UseFilters(MarathonExceptionFilter)
export class QueueController {
  constructor(
    private readonly views: AppViews,
    private readonly keeper: InstanceKeeper,
    private readonly apps: AppStore,
  ) {}

  @Get('v2/queue')
  list(@Req() req: HttpRequest): Record<string, unknown> {
    return this.views.queue((queryList(req.query.embed) ?? []).includes('lastUnusedOffers'));
  }

  /** `DELETE /v2/queue/{app id}/delay`: the app's backoff is forgotten. */
  @Delete('v2/queue/*path')
  @HttpCode(204)
  resetDelay(@Req() req: HttpRequest): void {
    const match = /^\/v2\/queue\/(.+)\/delay\/?$/.exec(req.path);
    const appId = resolvePathId(`/${match ? match[1] : req.path.slice('/v2/queue/'.length)}`);
    if (!match || !this.apps.has(appId) || !this.keeper.demandOf(appId)) throw appNotFound(appId);
    this.keeper.resetDelay(appId);
  }
}
