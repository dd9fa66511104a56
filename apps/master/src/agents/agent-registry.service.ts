import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Resources } from '@pando/resources';
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
  // A fresh prefix per process, not the master id: a master restarted with a fixed --master-id
  // restarts its counter, and must never hand out an id an agent of the last run still holds.
  private readonly idPrefix = randomUUID();
  private sequence = 0;
  private unreachable = 0;
  /** Dynamic reservations set for agents not admitted yet (restored before they re-register). */
  private readonly pendingReservations = new Map<string, Resources>();
  // Agents send the same few executor lists; sharing one array per list saves memory at scale.
  private readonly executorLists = new Map<string, readonly string[]>();

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
    const agent = new AgentRecord(id, lean, totals, now, agentId === undefined ? undefined : this.pendingReservations.get(agentId));
    if (agentId !== undefined) this.pendingReservations.delete(agentId);
    if (agentId !== undefined) agent.reregisteredTime = now;
    this.agents.set(id, agent);
    this.byLastSeen.set(id, agent);
    return { agent, kind: agentId === undefined ? 'registered' : 'readmitted', reactivated: agentId !== undefined };
  }

  /**
   * Replaces the dynamic reservations of an agent (RESERVE/UNRESERVE, or reservations recovered
   * from the tasks it reports); its totals become what it reports with them applied. The only way
   * they change. For an agent not admitted yet they wait until it (re-)registers with that id.
   * The allocator is not told here: callers change it in step (updateAllocation, addAgent).
   */
  setDynamicReservations(agentId: string, reservations: Resources): void {
    // registry: persisted by the HA registry
    const agent = this.agents.get(agentId);
    if (agent) agent.setDynamicReservations(reservations);
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
      this.unreachable++;
      expired.push(agent);
    }
    return expired;
  }

  private touch(agent: AgentRecord, now: number, reactivated: boolean): void {
    agent.lastSeen = now;
    if (reactivated) {
      agent.active = true;
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
