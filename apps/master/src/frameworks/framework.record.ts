import type { TimerHandle } from '@pando/common';
import type { FrameworkInfo } from '@pando/protocol';

/**
 * Where a framework is in its life:
 * - `subscribed`: its scheduler is connected (answers heartbeats) and gets offers;
 * - `disconnected`: its scheduler stopped answering; its tasks keep running until the failover
 *   timeout, then they are killed and the framework is removed;
 * - `recovered`: it has not subscribed to this master yet (this master took over): known from the
 *   registry (`persisted`: its real info), or only from tasks that agents reported; nothing is
 *   offered to it and its updates wait;
 * - `removed`: torn down or timed out; kept in the bounded history of completed frameworks.
 */
export type FrameworkPhase = 'subscribed' | 'disconnected' | 'recovered' | 'removed';

/** One framework the master knows. */
export class FrameworkRecord {
  phase: FrameworkPhase;
  /** ms since the epoch. */
  readonly registeredTime: number;
  reregisteredTime?: number;
  /** When it was disconnected or removed (ms since the epoch). */
  unregisteredTime?: number;
  /**
   * The NATS inbox prefix of the connection it subscribed from: calls for this framework must
   * come from the same connection, the role Mesos-Stream-Id plays in Mesos's HTTP API.
   */
  connection?: string;
  /** False until the scheduler proved it listens to its event subject (first heartbeat answered). */
  listening = false;
  /** Heartbeat requests unanswered in a row. */
  missedHeartbeats = 0;
  /** Roles it asked not to be offered in (SUPPRESS); shown in the state endpoint. */
  readonly suppressedRoles = new Set<string>();
  failoverTimer?: TimerHandle;
  /** Why it was removed, for logs and the state endpoint. */
  removalReason?: string;
  /**
   * It is in the registry (it subscribed to some leader), so a later leader knows its info and
   * failover timeout. False for a framework known only from agents' reports.
   */
  persisted = false;

  constructor(
    readonly id: string,
    public info: FrameworkInfo,
    phase: FrameworkPhase,
    now: number,
  ) {
    this.phase = phase;
    this.registeredTime = now;
  }

  get partitionAware(): boolean {
    return this.info.capabilities.includes('PARTITION_AWARE');
  }

  get active(): boolean {
    return this.phase === 'subscribed';
  }

  get roles(): readonly string[] {
    return this.info.roles;
  }
}
