import { Controller, Get, NotFoundException, Param, Sse, type MessageEvent } from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import { RunBook, type Run } from './run-book';

/** The plugin's HTTP API, on its own port: what ran where. */
@Controller('runs')
export class RunsController {
  constructor(private readonly book: RunBook) {}

  @Get()
  list(): { runs: Run[] } {
    return { runs: this.book.all() };
  }

  /** Server-sent events: one `run` event per change. */
  @Sse('events')
  events(): Observable<MessageEvent> {
    return this.book.watch().pipe(map((run) => ({ type: 'run', data: run })));
  }

  @Get(':agentId')
  one(@Param('agentId') agentId: string): Run {
    const run = this.book.forAgent(agentId);
    if (!run) throw new NotFoundException(`no run on agent ${agentId}`);
    return run;
  }
}
