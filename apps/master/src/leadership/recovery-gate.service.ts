import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createLogger, type Clock, type TimerHandle } from '@pando/common';
import { CLOCK, MASTER_OPTIONS_TOKEN } from '../master.tokens';
import type { MasterOptions } from '../master.options';

export type RecoveryPhase = 'idle' | 'recovering' | 'done';

export interface RecoveryProgress {
  phase: RecoveryPhase;
  /** Agents the registry holds as admitted: those a new leader waits for. */
  expected: number;
  /** How many of them re-registered so far. */
  back: number;
  /** How many must be back before the gate opens (--recovery-agent-share of expected). */
  needed: number;
  startedAt?: number;
  doneAt?: number;
  reason?: string;
}

/**
 * Holds a new leader back until it knows enough of the cluster: until --recovery-agent-share of
 * the agents the registry holds as admitted re-registered, or --recovery-timeout-ms passed, it
 * makes no offers (an agent that has not told it its tasks could be double-booked, and fair
 * shares are wrong while most tasks are unknown) and marks no agent unreachable (agents may not
 * have heard of it yet). Mesos's allocator does the same after a failover. A master that never led
 * is `idle`: nothing is held back (unit specs build services without leadership).
 */
@Injectable()
export class RecoveryGate implements OnModuleDestroy {
  private readonly log = createLogger('recovery');
  private phaseValue: RecoveryPhase = 'idle';
  private readonly waitingFor = new Set<string>();
  private expected = 0;
  private back = 0;
  private needed = 0;
  private startedAt?: number;
  private doneAt?: number;
  private reason?: string;
  private timer?: TimerHandle;
  private listeners: Array<() => void> = [];

  constructor(
    @Inject(MASTER_OPTIONS_TOKEN) private readonly options: Pick<MasterOptions, 'recoveryAgentShare' | 'recoveryTimeoutMs'>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  get phase(): RecoveryPhase {
    return this.phaseValue;
  }

  /** True while a new leader waits for agents: no offers, nobody marked unreachable. */
  get inProgress(): boolean {
    return this.phaseValue === 'recovering';
  }

  get progress(): RecoveryProgress {
    const progress: RecoveryProgress = { phase: this.phaseValue, expected: this.expected, back: this.back, needed: this.needed };
    if (this.startedAt !== undefined) progress.startedAt = this.startedAt;
    if (this.doneAt !== undefined) progress.doneAt = this.doneAt;
    if (this.reason !== undefined) progress.reason = this.reason;
    return progress;
  }

  /** Calls `listener` once recovery is done (at once if it is). */
  onDone(listener: () => void): void {
    if (this.phaseValue === 'done') listener();
    else this.listeners.push(listener);
  }

  /** Starts waiting for these agents (the ones the registry holds as admitted). */
  begin(expectedAgentIds: Iterable<string>): void {
    if (this.phaseValue !== 'idle') return;
    for (const id of expectedAgentIds) this.waitingFor.add(id);
    this.expected = this.waitingFor.size;
    this.needed = Math.ceil(this.expected * this.options.recoveryAgentShare - 1e-9);
    this.startedAt = this.clock.now();
    this.phaseValue = 'recovering';
    this.log.info(
      { expected: this.expected, needed: this.needed, timeoutMs: this.options.recoveryTimeoutMs },
      `recovering: waiting for ${this.needed} of ${this.expected} agents to re-register (at most ${this.options.recoveryTimeoutMs} ms)`,
    );
    if (this.back >= this.needed) return this.finish(this.expected === 0 ? 'the registry holds no agents' : 'enough agents are back');
    this.timer = this.clock.setTimeout(() => this.finish(`${this.options.recoveryTimeoutMs} ms passed`), this.options.recoveryTimeoutMs);
    this.timer.unref?.();
  }

  /** An agent re-registered with this leader. */
  agentBack(agentId: string): void {
    if (this.phaseValue !== 'recovering' || !this.waitingFor.delete(agentId)) return;
    this.back++;
    if (this.back >= this.needed) this.finish(`${this.back} of ${this.expected} agents are back`);
  }

  onModuleDestroy(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners = [];
  }

  private finish(reason: string): void {
    if (this.phaseValue !== 'recovering') return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.phaseValue = 'done';
    this.doneAt = this.clock.now();
    this.reason = reason;
    this.waitingFor.clear();
    this.log.info(
      { expected: this.expected, back: this.back, tookMs: this.doneAt - (this.startedAt ?? this.doneAt), reason },
      `recovery done: ${reason}`,
    );
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }
}
