import { Injectable } from '@nestjs/common';

/** What the agent knows about itself and its master; one instance, shared by the services. */
export interface SessionView {
  agentId?: string;
  /** Epoch of the master the agent last registered with. */
  epoch?: number;
  masterId?: string;
  registered: boolean;
  heartbeatIntervalMs?: number;
}

/**
 * The agent's identity and registration state. Written only by MasterLink (and the checkpoint at
 * start), read by everyone else, so that there is a single answer to "who am I, whose am I".
 */
@Injectable()
export class AgentSession {
  private view: SessionView = { registered: false };
  private readonly idListeners: Array<(agentId: string) => void> = [];
  private readonly retired: string[] = [];

  get agentId(): string | undefined {
    return this.view.agentId;
  }

  get epoch(): number | undefined {
    return this.view.epoch;
  }

  get registered(): boolean {
    return this.view.registered;
  }

  snapshot(): SessionView {
    return { ...this.view };
  }

  /** Sets the id (from the checkpoint or a registration reply); listeners hear about changes. */
  setAgentId(agentId: string): void {
    if (this.view.agentId === agentId) return;
    this.view.agentId = agentId;
    for (const listener of this.idListeners) listener(agentId);
  }

  onAgentIdChange(listener: (agentId: string) => void): void {
    this.idListeners.push(listener);
  }

  /**
   * Gives up the current id before the first registration (the agent restarted with a
   * configuration its tasks do not fit): the next registration asks for a new id. The old id
   * stays known, because the old tasks' last updates are still sent (and acknowledged) under it.
   */
  retire(): string | undefined {
    const old = this.view.agentId;
    if (old !== undefined) this.retired.push(old);
    this.view.agentId = undefined;
    return old;
  }

  /** Ids this agent process gave up (see retire()). */
  get retiredAgentIds(): readonly string[] {
    return this.retired;
  }

  registeredWith(master: { agentId: string; epoch: number; masterId: string; heartbeatIntervalMs: number }): void {
    this.view = { ...this.view, epoch: master.epoch, masterId: master.masterId, heartbeatIntervalMs: master.heartbeatIntervalMs, registered: true };
    this.setAgentId(master.agentId);
  }

  /** A (re-)registration is under way: until it succeeds the agent does not count as registered. */
  unregistered(): void {
    this.view.registered = false;
  }

  /**
   * Messages from an older master (lower epoch than the one registered with) are ignored: a
   * deposed leader must not launch, kill or acknowledge anything.
   */
  isStale(epoch: number): boolean {
    return this.view.epoch !== undefined && epoch < this.view.epoch;
  }
}
