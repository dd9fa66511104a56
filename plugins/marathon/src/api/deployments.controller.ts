import { Controller, Delete, Get, Param, Req, Res, UseFilters } from '@nestjs/common';
import { DeploymentRunner } from '../scheduler/deployment-runner.service';
import { DeploymentRegistry } from '../state/deployment-registry.service';
import { deploymentResponse } from './apps.controller';
import { AppViews } from './app-views.service';
import { ChangeExecutor } from './change-executor.service';
import { deploymentNotFound } from './marathon-http.errors';
import { MarathonExceptionFilter } from './marathon-exception.filter';
import { queryFlag, type HttpRequest, type HttpResponse } from './http-request';

/** `/v2/deployments`: the plans in progress; DELETE rolls one back (or, with force, just stops it). */
@Controller()
@UseFilters(MarathonExceptionFilter)
export class DeploymentsController {
  constructor(
    private readonly views: AppViews,
    private readonly registry: DeploymentRegistry,
    private readonly runner: DeploymentRunner,
    private readonly executor: ChangeExecutor,
  ) {}

  @Get('v2/deployments')
  list(): Array<Record<string, unknown>> {
    return this.views.deployments();
  }

  @Delete('v2/deployments/:id')
  async cancel(@Param('id') id: string, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<Record<string, unknown> | undefined> {
    const force = queryFlag(req.query.force);
    return this.executor.serial(async () => {
      if (!this.registry.get(id)) throw deploymentNotFound(id);
      const rollback = await this.runner.cancel(id, !force);
      if (force || !rollback) {
        res.status(202);
        return undefined;
      }
      return deploymentResponse(res, rollback);
    });
  }
}
