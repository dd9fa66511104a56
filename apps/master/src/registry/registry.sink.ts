import type { AgentRecord } from '../agents/agent.record';
import type { FrameworkRecord } from '../frameworks/framework.record';

/**
 * Where the leader's durable changes go (the REGISTRY_SINK, implemented by MasterRegistry). Every
 * method returns at once: writes are made later, coalesced, off the hot path. Heartbeats and
 * task changes never come here.
 */
export interface RegistrySink {
  /** An agent was admitted, re-registered or marked unreachable. */
  agentChanged(agent: AgentRecord): void;
  /** A framework subscribed, resumed, changed its info, disconnected or was removed. */
  frameworkChanged(record: FrameworkRecord): void;
  /** A removed framework dropped out of the bounded history: its record goes. */
  frameworkForgotten(frameworkId: string): void;
}

/** For specs and wiring without a registry: nothing is stored. */
export const NO_REGISTRY: RegistrySink = {
  agentChanged: () => undefined,
  frameworkChanged: () => undefined,
  frameworkForgotten: () => undefined,
};
