import { Controller, Delete, Get, Patch, Post, Put, Req, Res, UseFilters } from '@nestjs/common';
import { NotFoundError } from '@pando/common';
import { renderDeploymentResult, renderTask } from '../marathon-json.view';
import { AppStore, type StoredDeployment } from '../state/app-store.service';
import { TaskTracker } from '../state/task-tracker.service';
import { toPandoTaskId } from '../task-id';
import { AppCommands } from './app-commands.service';
import { parseAppRoute, type AppRoute } from './app-route';
import { AppViews } from './app-views.service';
import { appNotFound, taskNotFound } from './marathon-http.errors';
import { MarathonExceptionFilter } from './marathon-exception.filter';
import { origin, queryFlag, queryList, queryString, readJsonBody, type HttpRequest, type HttpResponse } from './http-request';

type Json = Record<string, unknown>;

/** Marathon's deployment answer: the header, and `{deploymentId, version}` unless the body is something else. */
export function deploymentResponse(res: HttpResponse, deployment: StoredDeployment, status = 200): Json {
  res.status(status);
  res.setHeader('Marathon-Deployment-Id', deployment.id);
  return renderDeploymentResult(deployment);
}

/** `/v2/apps` and everything under it. App ids contain slashes: see parseAppRoute. */
@Controller()
@UseFilters(MarathonExceptionFilter)
export class AppsController {
  constructor(
    private readonly commands: AppCommands,
    private readonly views: AppViews,
    private readonly apps: AppStore,
    private readonly tracker: TaskTracker,
  ) {}

  @Get('v2/apps')
  list(@Req() req: HttpRequest): Json {
    const q = req.query;
    const filters = { id: queryString(q.id), cmd: queryString(q.cmd), label: queryString(q.label) };
    return this.views.appList(filters, queryList(q.embed));
  }

  @Post('v2/apps')
  async create(@Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<Json> {
    const { app, deployment } = await this.commands.create(await readJsonBody(req), { force: queryFlag(req.query.force), origin: origin(req) });
    res.status(201);
    res.setHeader('Location', `/v2/apps${app.id}`);
    res.setHeader('Marathon-Deployment-Id', deployment.id);
    return this.views.app(app, ['app.tasks', 'app.counts', 'app.deployments']);
  }

  @Put('v2/apps')
  async updateMany(@Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<Json> {
    const partialUpdate = req.query.partialUpdate === undefined ? true : queryFlag(req.query.partialUpdate);
    const deployment = await this.commands.updateMany(await readJsonBody(req), { force: queryFlag(req.query.force), partialUpdate, origin: origin(req) });
    return deploymentResponse(res, deployment);
  }

  @Patch('v2/apps')
  async patchMany(@Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<Json> {
    const deployment = await this.commands.updateMany(await readJsonBody(req), { force: queryFlag(req.query.force), partialUpdate: true, origin: origin(req) });
    return deploymentResponse(res, deployment);
  }

  @Get('v2/apps/*path')
  async get(@Req() req: HttpRequest): Promise<Json> {
    const route = this.route(req);
    const app = this.apps.get(route.appId);
    if (!app) throw appNotFound(route.appId);
    switch (route.kind) {
      case 'tasks':
        return this.views.tasks(this.tracker.tasksOf(app.id));
      case 'task': {
        const task = this.tracker.get(toPandoTaskId(route.taskId));
        if (!task || task.appId !== app.id) throw taskNotFound(route.taskId);
        return { task: renderTask(task, app) };
      }
      case 'versions':
        return { versions: this.apps.versionIds(app.id).reverse() };
      case 'version': {
        const version = await this.apps.version(app.id, route.version);
        if (!version) throw new NotFoundError(`App '${app.id}' has no version '${route.version}'`);
        return this.views.appOnly(version);
      }
      default:
        return { app: this.views.app(app, queryList(req.query.embed)) };
    }
  }

  @Put('v2/apps/*path')
  update(@Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<Json> {
    const partialUpdate = req.query.partialUpdate === undefined ? true : queryFlag(req.query.partialUpdate);
    return this.updateApp(req, res, partialUpdate);
  }

  @Patch('v2/apps/*path')
  patch(@Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<Json> {
    return this.updateApp(req, res, true);
  }

  @Delete('v2/apps/*path')
  async delete(@Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<Json> {
    const route = this.route(req);
    const force = queryFlag(req.query.force);
    if (route.kind === 'app') return deploymentResponse(res, await this.commands.delete(route.appId, { force, origin: origin(req) }));
    if (route.kind !== 'tasks' && route.kind !== 'task') throw appNotFound(route.appId);
    const scale = queryFlag(req.query.scale);
    const select = route.kind === 'task' ? { taskIds: [route.taskId] } : (queryString(req.query.host) !== undefined ? { host: queryString(req.query.host)! } : {});
    const result = await this.commands.killTasks(route.appId, select, { force, scale, origin: origin(req) });
    if (result.deployment) return deploymentResponse(res, result.deployment);
    const app = this.apps.get(route.appId);
    const rendered = result.tasks.map((t) => renderTask(t, app));
    return route.kind === 'task' ? { task: rendered[0] } : { tasks: rendered };
  }

  @Post('v2/apps/*path')
  async restart(@Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<Json> {
    const route = this.route(req);
    if (route.kind !== 'restart') {
      res.status(405);
      return { message: `POST is not supported on ${req.path}` };
    }
    return deploymentResponse(res, await this.commands.restart(route.appId, { force: queryFlag(req.query.force), origin: origin(req) }));
  }

  private async updateApp(req: HttpRequest, res: HttpResponse, partialUpdate: boolean): Promise<Json> {
    const route = this.route(req);
    if (route.kind !== 'app') throw appNotFound(route.appId);
    const body = await readJsonBody(req);
    const { created, deployment } = await this.commands.update(route.appId, body, { force: queryFlag(req.query.force), partialUpdate, origin: origin(req) });
    if (created) res.setHeader('Location', `/v2/apps${route.appId}`);
    return deploymentResponse(res, deployment, created ? 201 : 200);
  }

  private route(req: HttpRequest): AppRoute {
    return parseAppRoute(req.path.replace(/^\/v2\/apps\/?/, ''), (id) => this.apps.has(id));
  }
}
