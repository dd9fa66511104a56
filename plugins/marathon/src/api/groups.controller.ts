import { Controller, Delete, Get, Post, Put, Req, Res, UseFilters } from '@nestjs/common';
import { resolvePathId, ROOT_ID } from '../path-id';
import { deploymentResponse } from './apps.controller';
import { AppViews } from './app-views.service';
import { GroupCommands } from './group-commands.service';
import { groupNotFound } from './marathon-http.errors';
import { MarathonExceptionFilter } from './marathon-exception.filter';
import { origin, queryFlag, queryList, readJsonBody, type HttpRequest, type HttpResponse } from './http-request';

type Json = Record<string, unknown>;

/** `/v2/groups[/{id}]`: nested ids are paths (`/v2/groups/team/backend`). */
@Controller()
@UseFilters(MarathonExceptionFilter)
export class GroupsController {
  constructor(
    private readonly commands: GroupCommands,
    private readonly views: AppViews,
  ) {}

  @Get(['v2/groups', 'v2/groups/*path'])
  get(@Req() req: HttpRequest): Json {
    const groupId = groupIdOf(req);
    const group = this.views.group(groupId, queryList(req.query.embed));
    if (!group) throw groupNotFound(groupId);
    return group;
  }

  @Post(['v2/groups', 'v2/groups/*path'])
  async create(@Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<Json> {
    const pathId = groupIdOf(req);
    const deployment = await this.commands.create(pathId === ROOT_ID ? undefined : pathId, await readJsonBody(req), { force: queryFlag(req.query.force), origin: origin(req) });
    return deploymentResponse(res, deployment, 201);
  }

  @Put(['v2/groups', 'v2/groups/*path'])
  async update(@Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<Json> {
    const deployment = await this.commands.update(groupIdOf(req), await readJsonBody(req), { force: queryFlag(req.query.force), origin: origin(req) });
    return deploymentResponse(res, deployment);
  }

  @Delete(['v2/groups', 'v2/groups/*path'])
  async delete(@Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<Json> {
    const deployment = await this.commands.delete(groupIdOf(req), { force: queryFlag(req.query.force), origin: origin(req) });
    return deploymentResponse(res, deployment);
  }
}

function groupIdOf(req: HttpRequest): string {
  const rest = req.path.replace(/^\/v2\/groups\/?/, '');
  return resolvePathId(`/${rest.split('/').map((s) => decodeURIComponent(s)).join('/')}`);
}
