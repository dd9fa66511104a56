import { Injectable } from '@nestjs/common';
import { countTasks } from '../app-task';
import { InstanceKeeper } from '../scheduler/instance-keeper.service';
import { KillQueue } from '../scheduler/kill-queue.service';
import { OfferFlow } from '../scheduler/offer-flow.service';
import { OfferHandler } from '../scheduler/offer-handler.service';
import { TaskStatusHandler } from '../scheduler/task-status.handler';
import { AppStore } from '../state/app-store.service';
import { DeploymentRegistry } from '../state/deployment-registry.service';
import { EventBus } from '../state/event-bus.service';
import { TaskJournal } from '../state/task-journal.service';
import { TaskTracker } from '../state/task-tracker.service';

const startedAt = Date.now();

/**
 * `GET /metrics` in the Dropwizard JSON form Marathon 1.x serves (`gauges`, `counters`, ...),
 * with Marathon's metric names where one exists (`marathon.apps.active.gauge`, ...) and
 * `pando.marathon.*` for the rest.
 */
@Injectable()
export class MarathonMetrics {
  constructor(
    private readonly apps: AppStore,
    private readonly tracker: TaskTracker,
    private readonly registry: DeploymentRegistry,
    private readonly keeper: InstanceKeeper,
    private readonly offers: OfferHandler,
    private readonly flow: OfferFlow,
    private readonly killer: KillQueue,
    private readonly statuses: TaskStatusHandler,
    private readonly journal: TaskJournal,
    private readonly events: EventBus,
  ) {}

  snapshot(): Record<string, unknown> {
    let running = 0;
    let staged = 0;
    let healthy = 0;
    for (const app of this.apps.all()) {
      const counts = countTasks(this.tracker.tasksOf(app.id), app);
      running += counts.tasksRunning;
      staged += counts.tasksStaged;
      healthy += counts.tasksHealthy;
    }
    const gauge = (value: number) => ({ value });
    const counter = (count: number) => ({ count });
    return {
      version: '4.0.0',
      gauges: {
        'marathon.apps.active.gauge': gauge(this.apps.count()),
        'marathon.deployments.active.gauge': gauge(this.registry.size),
        'marathon.instances.running.gauge': gauge(running),
        'marathon.instances.staged.gauge': gauge(staged),
        'marathon.instances.healthy.gauge': gauge(healthy),
        'marathon.instances.launch-overdue.gauge': gauge(this.keeper.waiting().reduce((n, w) => n + w.demand.count, 0)),
        'marathon.tasks.tracked.gauge': gauge(this.tracker.size),
        'pando.marathon.kills.pending.gauge': gauge(this.killer.pending),
        'pando.marathon.offers.suppressed.gauge': gauge(this.flow.suppressed ? 1 : 0),
        'pando.marathon.journal.batches.gauge': gauge(this.journal.batchCount),
        'marathon.uptime.gauge.seconds': gauge(Math.round((Date.now() - startedAt) / 1000)),
      },
      counters: {
        'marathon.mesos.offers.incoming.counter': counter(this.offers.offersSeen),
        'marathon.mesos.offers.declined.counter': counter(this.offers.offersDeclined),
        'marathon.tasks.launched.counter': counter(this.offers.tasksLaunched),
        'marathon.mesos.task-updates.counter': counter(this.statuses.updates),
        'marathon.mesos.calls.revive.counter': counter(this.flow.revives),
        'marathon.mesos.calls.suppress.counter': counter(this.flow.suppressions),
        'pando.marathon.kills.sent.counter': counter(this.killer.sent),
        'pando.marathon.events.published.counter': counter(this.events.published),
      },
      histograms: {},
      meters: {},
      timers: {},
    };
  }
}
