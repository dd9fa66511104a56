import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Controller, Get, Header, Inject, Sse, UseFilters, type MessageEvent, type OnModuleDestroy } from '@nestjs/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';
import { map, type Observable } from 'rxjs';
import { ChronosErrorFilter } from './chronos-error.filter';
import { JobViews } from './job-views.service';
import { CHRONOS_PREFIXES } from './jobs.controller';
import { RunEvents } from './run-events.service';
import { RunLauncher } from './run-launcher.service';
import { RunTracker } from './run-tracker.service';

/** The dependency graph, the leader, and the stream of run events. */
@Controller(CHRONOS_PREFIXES)
@UseFilters(ChronosErrorFilter)
export class SchedulerInfoController implements OnModuleDestroy {
  /** How late the event loop runs (timers, updates): what delays a launch beyond the plugin's own work. */
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });

  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext,
    private readonly views: JobViews,
    private readonly events: RunEvents,
    private readonly launcher: RunLauncher,
    private readonly tracker: RunTracker,
  ) {
    this.loopDelay.enable();
  }

  onModuleDestroy(): void {
    this.loopDelay.disable();
  }

  /** Pando's addition: what the scheduler is doing (runs by phase, offers, the last launch rounds). */
  @Get('metrics')
  metrics(): Record<string, unknown> {
    return {
      runs: this.tracker.phaseCounts(),
      offers: { held: this.launcher.heldOffers, queuedAttempts: this.launcher.queued },
      launcher: this.launcher.stats,
      rounds: this.launcher.rounds,
      eventLoopDelayMs: {
        p50: Math.round(this.loopDelay.percentile(50) / 1e5) / 10,
        p99: Math.round(this.loopDelay.percentile(99) / 1e5) / 10,
        max: Math.round(this.loopDelay.max / 1e5) / 10,
      },
    };
  }

  @Get('graph/csv')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  csv(): string {
    return this.views.graphCsv();
  }

  @Get('graph/dot')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  dot(): string {
    return this.views.graphDot();
  }

  /** Chronos answered `{"leader": "<host>:<port>"}`: only the leading framework host serves this API. */
  @Get('leader')
  leader(): { leader: string } {
    const url = this.context.http.advertisedUrl;
    try {
      return { leader: new URL(url).host };
    } catch {
      return { leader: url };
    }
  }

  /** Run events as Server-Sent Events: the event name is the type, the data the event JSON. */
  @Sse('events')
  stream(): Observable<MessageEvent> {
    return this.events.stream().pipe(map((event) => ({ type: event.type, data: event })));
  }
}
