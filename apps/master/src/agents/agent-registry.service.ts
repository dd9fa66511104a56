import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { Resources } from '@pando/resources';
import { REGISTRY_SINK } from '../master.tokens';
import { NO_REGISTRY, type RegistrySink } from '../registry/registry.sink';
import { AgentRecord, type AgentInfo } from './agent.record';

// Bounds the sharing table: agents sending ever-different lists must not grow it without limit.
const MAX_SHARED_EXECUTOR_LISTS = 1024;

export type AdmitKind = 'registered' | 'reregistered' | 'readmitted';

export interface Admission {
  agent: AgentRecord;
  /** registered: new id; reregistered: known here; readmitted: an id this master did not know. */
  kind: AdmitKind;
  /** True when the agent had been marked unreachable (or was unknown) and is active again. */
  reactivated: boolean;
  /** True when this master knew the agent only from the registry (it took over since). */
  recovered?: boolean;
}

/** An agent a new leader knows from the registry only: it has not re-registered with this master yet. */
export interface RecoveredAgent {
  id: string;
  info: AgentInfo;
  totals: Resources;
  registeredTime: number;
  /** It was unreachable already when the registry last saw it. */
  unreachable: boolean;
  /** Its dynamic reservations, as the registry holds them. */
  reservations?: Resources;
}

/**
 * The admitted agents. Every operation is O(1) except `expire`, which is O(agents expired):
 * active agents are also kept in a Map ordered by last heartbeat (a heartbeat moves the agent
 * to the end), so the liveness check reads only the stale head instead of scanning 10,000s.
 * (If the wall clock steps back, an agent may sit behind a fresher one for one timeout; it is
 * still found once it reaches the head.)
 */
@Injectable()
export class AgentRegistry {
  private readonly agents = new Map<string, AgentRecord>();
  private readonly byLastSeen = new Map<string, AgentRecord>();
  private readonly recovered = new Map<string, RecoveredAgent>();
  // A fresh prefix per process, not the master id: a master restarted with a fixed --master-id
  // restarts its counter, and must never hand out an id an agent of the last run still holds.
  private readonly idPrefix = randomUUID();
  private sequence = 0;
  private unreachable = 0;
  /** Dynamic reservations set for agents not admitted yet (restored before they re-register). */
  private readonly pendingReservations = new Map<string, Resources>();
  // Agents send the same few executor lists; sharing one array per list saves memory at scale.
  private readonly executorLists = new Map<string, readonly string[]>();

  constructor(@Optional() @Inject(REGISTRY_SINK) private readonly registrySink: RegistrySink = NO_REGISTRY) {}

  get size(): number {
    return this.agents.size;
  }

  get activeCount(): number {
    return this.byLastSeen.size;
  }

  get unreachableCount(): number {
    return this.unreachable;
  }

  get(id: string): AgentRecord | undefined {
    return this.agents.get(id);
  }

  /** Agents known from the registry that have not re-registered with this master yet. */
  get recoveredCount(): number {
    return this.recovered.size;
  }

  recoveredAgents(): IterableIterator<RecoveredAgent> {
    return this.recovered.values();
  }

  /** Known from the registry and not re-registered yet: it may still come back with its tasks. */
  isRecovered(id: string): boolean {
    return this.recovered.has(id);
  }

  /** An agent read from the registry by a new leader: known, but not admitted until it re-registers. */
  restore(agent: RecoveredAgent): void {
    if (this.agents.has(agent.id)) return;
    this.recovered.set(agent.id, { ...agent, info: { ...agent.info, executors: this.shareExecutors(agent.info.executors) } });
  }

  /**
   * The recovered agents that did not re-register in time become unreachable agents (their
   * tasks are unknown to this master: reconciliation answers UNREACHABLE for them).
   */
  expireRecovered(now: number): AgentRecord[] {
    const expired: AgentRecord[] = [];
    for (const recovered of this.recovered.values()) {
      const agent = new AgentRecord(recovered.id, recovered.info, recovered.totals, recovered.registeredTime, this.pendingReservations.get(recovered.id) ?? recovered.reservations);
      this.pendingReservations.delete(recovered.id);
      agent.active = false;
      agent.lastSeen = now;
      agent.unreachableTime = now;
      this.agents.set(agent.id, agent);
      this.unreachable++;
      expired.push(agent);
    }
    this.recovered.clear();
    return expired;
  }

  values(): IterableIterator<AgentRecord> {
    return this.agents.values();
  }

  /** Admits a new agent (no id) or takes back a known or formerly known one under its id. */
  admit(agentId: string | undefined, info: AgentInfo, totals: Resources, now: number): Admission {
    const lean = { ...info, executors: this.shareExecutors(info.executors) };
    const known = agentId === undefined ? undefined : this.agents.get(agentId);
    if (known) {
      const reactivated = !known.active;
      known.update(lean, totals);
      known.reregisteredTime = now;
      this.touch(known, now, reactivated);
      return { agent: known, kind: 'reregistered', reactivated };
    }
    const id = agentId ?? `${this.idPrefix}-S${this.sequence++}`;
    const recovered = this.recovered.get(id);
    this.recovered.delete(id);
    const pending = agentId === undefined ? undefined : this.pendingReservations.get(agentId);
    if (agentId !== undefined) this.pendingReservations.delete(agentId);
    const agent = new AgentRecord(id, lean, totals, recovered?.registeredTime ?? now, pending ?? recovered?.reservations);
    agent.lastSeen = now;
    if (agentId !== undefined) agent.reregisteredTime = now;
    this.agents.set(id, agent);
    this.byLastSeen.set(id, agent);
    const admission: Admission = { agent, kind: agentId === undefined ? 'registered' : 'readmitted', reactivated: agentId !== undefined };
    if (recovered) admission.recovered = true;
    return admission;
  }

  /**
   * Replaces the dynamic reservations of an agent (RESERVE/UNRESERVE, or reservations recovered
   * from the tasks it reports); its totals become what it reports with them applied. The only way
   * they change. For an agent not admitted yet they wait until it (re-)registers with that id.
   * The allocator is not told here: callers change it in step (updateAllocation, addAgent).
   */
  setDynamicReservations(agentId: string, reservations: Resources): void {
    const agent = this.agents.get(agentId);
    if (agent) {
      agent.setDynamicReservations(reservations);
      // Kept in the registry: a new leader applies them when the agent re-registers.
      this.registrySink.agentChanged(agent);
    }
    else if (reservations.isEmpty()) this.pendingReservations.delete(agentId);
    else this.pendingReservations.set(agentId, Resources.empty().addInPlace(reservations));
  }

  /** Records a heartbeat; false when the agent is unknown or unreachable (it must re-register). */
  heartbeat(agentId: string, now: number): boolean {
    const agent = this.agents.get(agentId);
    if (!agent || !agent.active) return false;
    this.touch(agent, now, false);
    return true;
  }

  /** Marks every active agent last seen before `cutoff` unreachable and returns them. */
  expire(cutoff: number): AgentRecord[] {
    const expired: AgentRecord[] = [];
    // Deleting the current entry while iterating a Map is safe in JavaScript.
    for (const [id, agent] of this.byLastSeen) {
      if (agent.lastSeen >= cutoff) break;
      this.byLastSeen.delete(id);
      agent.active = false;
      agent.unreachableTime = agent.lastSeen;
      this.unreachable++;
      expired.push(agent);
    }
    return expired;
  }

  private touch(agent: AgentRecord, now: number, reactivated: boolean): void {
    agent.lastSeen = now;
    if (reactivated) {
      agent.active = true;
      agent.unreachableTime = undefined;
      this.unreachable--;
    }
    this.byLastSeen.delete(agent.id);
    this.byLastSeen.set(agent.id, agent);
  }

  private shareExecutors(executors: readonly string[]): readonly string[] {
    const key = executors.join('\n');
    let shared = this.executorLists.get(key);
    if (!shared && this.executorLists.size >= MAX_SHARED_EXECUTOR_LISTS) return Object.freeze([...executors]);
    if (!shared) {
      shared = Object.freeze([...executors]);
      this.executorLists.set(key, shared);
    }
    return shared;
  }
}
