import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res, UseFilters } from '@nestjs/common';
import { InputError } from '@pando/common';
import { ChronosErrorFilter } from './chronos-error.filter';
import { JobAdmin } from './job-admin.service';
import { JobViews } from './job-views.service';

/** Both prefixes Chronos served: the current `/v1/scheduler` and the older `/scheduler`. */
export const CHRONOS_PREFIXES = ['v1/scheduler', 'scheduler'];

/**
 * Chronos's job endpoints. Names come URL-decoded (a job called `nightly backup` is
 * `/job/nightly%20backup`). Writes answer 204 as Chronos did; a manual run also names its run
 * in the `X-Chronos-Run-Id` header.
 */
@Controller(CHRONOS_PREFIXES)
@UseFilters(ChronosErrorFilter)
export class JobsController {
  constructor(
    private readonly admin: JobAdmin,
    private readonly views: JobViews,
  ) {}

  @Post('iso8601')
  @HttpCode(204)
  async postScheduled(@Body() body: unknown): Promise<void> {
    await this.admin.upsert(body, 'scheduled');
  }

  @Post('dependency')
  @HttpCode(204)
  async postDependent(@Body() body: unknown): Promise<void> {
    await this.admin.upsert(body, 'dependent');
  }

  @Get('jobs')
  jobs(): Array<Record<string, unknown>> {
    return this.views.list();
  }

  @Get('jobs/summary')
  summary(): unknown {
    return this.views.summary();
  }

  @Get('jobs/search')
  search(@Query() query: Record<string, unknown>): Array<Record<string, unknown>> {
    return this.views.search({
      name: text(query.name),
      command: text(query.command),
      any: text(query.any),
      limit: count(query.limit, 'limit'),
      offset: count(query.offset, 'offset'),
    });
  }

  @Get('job/stat/:name')
  stat(@Param('name') name: string): Promise<Record<string, unknown>> {
    return this.views.stat(name);
  }

  @Get('job/:name/runs')
  runs(@Param('name') name: string, @Query('limit') limit?: string): Promise<unknown> {
    return this.views.runsOf(name, count(limit, 'limit'));
  }

  @Get('job/:name')
  job(@Param('name') name: string): Record<string, unknown> {
    return this.views.job(name);
  }

  @Put('job/success/:name')
  @HttpCode(204)
  async success(@Param('name') name: string): Promise<void> {
    await this.admin.markSuccess(name);
  }

  @Put('job/:name')
  @HttpCode(204)
  async runNow(
    @Param('name') name: string,
    @Query('arguments') query: unknown,
    @Body() body: unknown,
    @Res({ passthrough: true }) response: { setHeader(name: string, value: string): void },
  ): Promise<void> {
    const run = await this.admin.runNow(name, argumentsOf(query, body));
    response.setHeader('X-Chronos-Run-Id', run.runId);
  }

  @Delete('job/:name')
  @HttpCode(204)
  async remove(@Param('name') name: string): Promise<void> {
    await this.admin.delete(name);
  }

  @Delete('task/kill/:name')
  @HttpCode(204)
  kill(@Param('name') name: string): void {
    this.admin.kill(name);
  }
}

function text(value: unknown): string | undefined {
  if (Array.isArray(value)) return text(value[0]);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function count(value: unknown, field: string): number | undefined {
  const raw = text(value);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new InputError(`${field}: '${raw}' must be a non-negative integer`, [`${field}: must be a non-negative integer`]);
  return n;
}

/** `?arguments=-v --fast` (split on spaces, as Chronos did; repeatable) or a body `{ "arguments": [...] }`. */
function argumentsOf(query: unknown, body: unknown): string[] | undefined {
  if (query !== undefined) {
    const parts = (Array.isArray(query) ? query : [query]).map(String);
    return parts.flatMap((part) => part.split(' ')).filter((arg) => arg !== '');
  }
  if (typeof body === 'object' && body !== null && 'arguments' in body) {
    const args = (body as { arguments: unknown }).arguments;
    if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) {
      throw new InputError('arguments: must be an array of strings', ['arguments: must be an array of strings']);
    }
    return args as string[];
  }
  return undefined;
}
