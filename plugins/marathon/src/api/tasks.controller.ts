import { Controller, Get, Post, Req, Res, UseFilters } from '@nestjs/common';
import { isPlainObject } from '../app.schema';
import { renderTask } from '../marathon-json.view';
import { MarathonValidationError } from '../marathon-validation.error';
import { AppStore, type StoredDeployment } from '../state/app-store.service';
import { TaskTracker, type TrackedTask } from '../state/task-tracker.service';
import { appIdOfTask, toPandoTaskId } from '../task-id';
import { AppCommands } from './app-commands.service';
import { deploymentResponse } from './apps.controller';
import { AppViews } from './app-views.service';
import { MarathonExceptionFilter } from './marathon-exception.filter';
import { origin, queryFlag, queryList, readJsonBody, type HttpRequest, type HttpResponse } from './http-request';

const STATUS_FILTERS: Record<string, ReadonlySet<string>> = {
  running: new Set(['RUNNING']),
  staging: new Set(['STAGING', 'STARTING']),
};

/** `/v2/tasks` (every app's tasks, `status=running|staging`) and `POST /v2/tasks/delete`. */
@Controller()
@UseFilters(MarathonExceptionFilter)
export class TasksController {
  constructor(
    private readonly views: AppViews,
    private readonly tracker: TaskTracker,
    private readonly apps: AppStore,
    private readonly commands: AppCommands,
  ) {}

  @Get('v2/tasks')
  list(@Req() req: HttpRequest): Record<string, unknown> {
    const statuses = (queryList(req.query.status) ?? []).flatMap((s) => [...(STATUS_FILTERS[s.toLowerCase()] ?? [])]);
    const tasks = [...this.tracker.all()].filter((t) => statuses.length === 0 || statuses.includes(t.state));
    return this.views.tasks(tasks);
  }

  @Post('v2/tasks/delete')
  async delete(@Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<Record<string, unknown>> {
    const body = await readJsonBody(req);
    if (!isPlainObject(body) || !Array.isArray(body.ids) || body.ids.some((id) => typeof id !== 'string')) {
      throw new MarathonValidationError([{ path: '/ids', errors: ['error.expected.jsarray'] }]);
    }
    const byApp = new Map<string, string[]>();
    for (const id of body.ids as string[]) {
      const appId = this.tracker.get(toPandoTaskId(id))?.appId ?? appIdOfTask(id);
      if (appId === undefined || !this.apps.has(appId) || !this.tracker.get(toPandoTaskId(id))) continue;
      byApp.set(appId, [...(byApp.get(appId) ?? []), id]);
    }
    const options = { force: queryFlag(req.query.force), scale: queryFlag(req.query.scale), origin: origin(req) };
    const killed: TrackedTask[] = [];
    let deployment: StoredDeployment | undefined;
    for (const [appId, taskIds] of byApp) {
      const result = await this.commands.killTasks(appId, { taskIds }, options);
      killed.push(...result.tasks);
      deployment = result.deployment ?? deployment;
    }
    if (deployment) return deploymentResponse(res, deployment);
    return { tasks: killed.map((t) => renderTask(t, this.apps.get(t.appId))) };
  }
}
