import type { AgentRecord } from './agent.record';
import type { Admission } from './agent-registry.service';

/**
 * Who else needs to know when agents come and go. The allocator (next) implements this: add or
 * re-activate the agent on admission (its reconciled tasks are in the task table by then),
 * deactivate it when it becomes unreachable.
 */
export interface AgentObserver {
  /** After the agent was admitted and the tasks it reported were reconciled. */
  agentAdmitted(admission: Admission): void;
  /** After the agent and its tasks were marked unreachable. */
  agentUnreachable(agent: AgentRecord): void;
  /** After a heartbeat from an active agent was accepted. */
  agentHeartbeat?(agentId: string): void;
}

/** Nobody to tell yet. */
export class NoAgentObserver implements AgentObserver {
  agentAdmitted(): void {}
  agentUnreachable(): void {}
}
