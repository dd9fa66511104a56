import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { createLogger, type Clock, type TimerHandle } from '@pando/common';
import { RecoveryGate } from '../leadership/recovery-gate.service';
import { AGENT_OBSERVER, CLOCK, MASTER_OPTIONS_TOKEN, REGISTRY_SINK, STATUS_UPDATE_SINK } from '../master.tokens';
import { NO_REGISTRY, type RegistrySink } from '../registry/registry.sink';
import type { MasterOptions } from '../master.options';
import { forwardMasterUpdates, type StatusUpdateSink } from '../tasks/status-update.sink';
import { TaskTable } from '../tasks/task-table.service';
import type { AgentObserver } from './agent.observer';
import type { AgentRecord } from './agent.record';
import { AgentRegistry } from './agent-registry.service';

/** How often agents are checked; it adds at most this much to the detection time. */
export const LIVENESS_CHECK_MS = 1000;

/**
 * Marks agents that missed too many heartbeats UNREACHABLE, and their tasks with them. A check
 * costs O(agents that expired), so it can run every second with 10,000s of agents. It runs only
 * on the leader (from startLeading), and marks nobody while a new leader recovers.
 */
@Injectable()
export class AgentLivenessService implements OnModuleDestroy {
  private readonly log = createLogger('agent-liveness');
  private timer?: TimerHandle;
  private stopped = false;
  private natsConnected = true;
  private graceUntil = 0;

  constructor(
    private readonly registry: AgentRegistry,
    private readonly tasks: TaskTable,
    @Inject(STATUS_UPDATE_SINK) private readonly sink: StatusUpdateSink,
    @Inject(AGENT_OBSERVER) private readonly observer: AgentObserver,
    @Inject(MASTER_OPTIONS_TOKEN) private readonly options: MasterOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(REGISTRY_SINK) private readonly registrySink: RegistrySink = NO_REGISTRY,
    @Optional() private readonly recovery?: RecoveryGate,
  ) {}

  /** Agents not seen for longer than this are unreachable. */
  get timeoutMs(): number {
    return this.options.heartbeatIntervalMs * this.options.maxMissedHeartbeats;
  }

  /** This master leads: check every second from now on. */
  startLeading(): void {
    this.stopped = false;
    this.schedule();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * The master lost NATS: heartbeats cannot reach it, which says nothing about the agents, so
   * nobody is marked unreachable until NATS is back and agents had one timeout to heartbeat.
   * (Otherwise a NATS restart would turn every task in the cluster UNREACHABLE.)
   */
  natsDisconnected(): void {
    this.natsConnected = false;
  }

  natsReconnected(): void {
    this.natsConnected = true;
    this.graceUntil = this.clock.now() + this.timeoutMs;
  }

  /** One check; returns the agents it marked unreachable. */
  check(): AgentRecord[] {
    const now = this.clock.now();
    if (!this.natsConnected || now < this.graceUntil || this.recovery?.inProgress) return [];
    const expired = this.registry.expire(now - this.timeoutMs);
    for (const agent of expired) {
      const changed = this.tasks.markAgentUnreachable(agent.id, now);
      forwardMasterUpdates(this.sink, changed);
      this.observer.agentUnreachable(agent);
      this.registrySink.agentChanged(agent);
      this.log.warn(
        { agentId: agent.id, hostname: agent.info.hostname, lastSeen: new Date(agent.lastSeen).toISOString(), tasks: changed.length },
        `agent ${agent.id} (${agent.info.hostname}) is UNREACHABLE: no heartbeat for ${now - agent.lastSeen} ms`,
      );
    }
    return expired;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      try {
        this.check();
      } catch (err) {
        this.log.error({ err }, 'liveness check failed');
      }
      this.schedule();
    }, LIVENESS_CHECK_MS);
    this.timer.unref?.();
  }
}
