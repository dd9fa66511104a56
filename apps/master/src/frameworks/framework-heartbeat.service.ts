import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { createLogger, type Clock, type TimerHandle } from '@pando/common';
import { CLOCK, MASTER_OPTIONS_TOKEN, NATS_CONNECTION } from '../master.tokens';
import type { MasterOptions } from '../master.options';
import { FrameworkEventsPublisher } from './framework-events.publisher';
import { FrameworkLifecycle } from './framework-lifecycle.service';
import { FrameworkRegistry } from './framework-registry.service';
import type { FrameworkRecord } from './framework.record';

/** Unanswered heartbeat requests in a row that disconnect a framework. */
export const MISSED_HEARTBEATS_BEFORE_DISCONNECT = 2;
/** First probe retry after a SUBSCRIBE; doubles while the scheduler's subscription is not there yet. */
const PROBE_FIRST_RETRY_MS = 10;

/**
 * HEARTBEAT requests to subscribed frameworks every interval; a framework whose driver leaves
 * two in a row unanswered ("no responders" or timeout) is disconnected. Right after SUBSCRIBE,
 * probes (quick retries) find the moment its driver listens, which is when it may get offers.
 * While this master is cut off from NATS nothing counts: the silence would be ours.
 */
@Injectable()
export class FrameworkHeartbeats implements OnModuleDestroy {
  private readonly log = createLogger('framework-heartbeats');
  private timer?: TimerHandle;
  private stopped = false;
  private natsConnected = true;
  private readonly inFlight = new Set<string>();
  private readonly probes = new Map<string, { timer?: TimerHandle }>();

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly registry: FrameworkRegistry,
    private readonly lifecycle: FrameworkLifecycle,
    private readonly publisher: FrameworkEventsPublisher,
    @Inject(MASTER_OPTIONS_TOKEN) private readonly options: MasterOptions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  private get intervalMs(): number {
    return this.options.frameworkHeartbeatIntervalMs;
  }

  /** This master leads: heartbeat its frameworks from now on. */
  startLeading(): void {
    this.stopped = false;
    void this.watchConnection();
    this.schedule();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    for (const probe of this.probes.values()) if (probe.timer) this.clock.clearTimeout(probe.timer);
    this.probes.clear();
  }

  /**
   * Probes a framework that just subscribed until its driver answers (then it is confirmed as
   * listening) or two heartbeat intervals passed (then it is disconnected like any silent one).
   */
  probe(record: FrameworkRecord): void {
    const existing = this.probes.get(record.id);
    if (existing?.timer) this.clock.clearTimeout(existing.timer);
    const probe: { timer?: TimerHandle } = {};
    this.probes.set(record.id, probe);
    const started = this.clock.now();
    let delay = PROBE_FIRST_RETRY_MS;
    const attempt = async (): Promise<void> => {
      probe.timer = undefined;
      // A later SUBSCRIBE starts its own probe; this one then has nothing left to decide.
      const current = (): boolean => !this.stopped && this.probes.get(record.id) === probe && record.phase === 'subscribed';
      if (!current()) return;
      const answered = await this.publisher.heartbeat(record.id, Math.min(this.intervalMs, 2000));
      if (!current()) return;
      if (answered) {
        this.probes.delete(record.id);
        this.lifecycle.confirmListening(record);
        return;
      }
      if (this.clock.now() - started >= MISSED_HEARTBEATS_BEFORE_DISCONNECT * this.intervalMs) {
        this.probes.delete(record.id);
        this.lifecycle.disconnect(record, 'its scheduler never answered a heartbeat after subscribing');
        return;
      }
      probe.timer = this.clock.setTimeout(() => void attempt(), delay);
      probe.timer.unref?.();
      delay = Math.min(delay * 2, this.intervalMs);
    };
    void attempt();
  }

  /** One round: a heartbeat to every framework that is subscribed and listening. */
  beat(): void {
    if (!this.natsConnected) return;
    for (const record of this.registry.values()) {
      if (record.phase !== 'subscribed' || !record.listening || this.inFlight.has(record.id)) continue;
      this.inFlight.add(record.id);
      void this.publisher.heartbeat(record.id, this.intervalMs).then((answered) => {
        this.inFlight.delete(record.id);
        this.answered(record, answered);
      });
    }
  }

  private answered(record: FrameworkRecord, answered: boolean): void {
    if (record.phase !== 'subscribed' || !record.listening || !this.natsConnected) return;
    if (answered) {
      record.missedHeartbeats = 0;
      return;
    }
    record.missedHeartbeats++;
    this.log.debug({ frameworkId: record.id, missed: record.missedHeartbeats }, `framework ${record.id} missed a heartbeat`);
    if (record.missedHeartbeats >= MISSED_HEARTBEATS_BEFORE_DISCONNECT) {
      this.lifecycle.disconnect(record, `${record.missedHeartbeats} heartbeats in a row went unanswered`);
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      try {
        this.beat();
      } catch (err) {
        this.log.error({ err }, 'framework heartbeat round failed');
      }
      this.schedule();
    }, this.intervalMs);
    this.timer.unref?.();
  }

  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') this.natsConnected = false;
      if (status.type === 'reconnect') {
        this.natsConnected = true;
        for (const record of this.registry.values()) record.missedHeartbeats = 0;
      }
    }
  }
}
