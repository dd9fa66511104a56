import { Controller, Get, Req, Res, UseFilters } from '@nestjs/common';
import { Inject } from '@nestjs/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';
import { eventFilter, streamAttachedEvent, toServerSentEvent } from '../marathon-events.view';
import { EventBus } from '../state/event-bus.service';
import { MarathonExceptionFilter } from './marathon-exception.filter';
import { queryList, type HttpRequest, type HttpResponse } from './http-request';

/** A comment line now and then keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

/**
 * `GET /v2/events`: Marathon's event bus as Server-Sent Events (`event: <type>` and
 * `data: <json>`), every type or those named by `event_type` (repeatable). Attaching and
 * detaching are events too, as in Marathon.
 */
@Controller()
@UseFilters(MarathonExceptionFilter)
export class EventsController {
  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext,
    private readonly bus: EventBus,
  ) {}

  @Get('v2/events')
  stream(@Req() req: HttpRequest, @Res() res: HttpResponse): void {
    const wanted = eventFilter(queryList(req.query.event_type));
    const remote = req.ip ?? req.socket.remoteAddress ?? '';
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream');
    res.setHeader('Cache-Control', 'no-cache, no-store');
    res.setHeader('Connection', 'keep-alive');
    res.flushHeaders();
    res.write('\n');
    const subscription = this.bus.events().subscribe((event) => {
      if (wanted(event)) res.write(toServerSentEvent(event));
    });
    const keepalive = setInterval(() => res.write(':\n\n'), KEEPALIVE_MS);
    keepalive.unref();
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(keepalive);
      subscription.unsubscribe();
      this.bus.publish(streamAttachedEvent(remote, this.context.clock.now(), true));
    };
    req.on('close', close);
    res.on('close', close);
    this.bus.publish(streamAttachedEvent(remote, this.context.clock.now()));
  }
}
