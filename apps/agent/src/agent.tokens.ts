/** Nest injection tokens for the agent's side-effect adapters (replaced in tests). */

/** The Clock (from @pando/common) used for retries and heartbeats. */
export const CLOCK = Symbol('CLOCK');

/**
 * How the agent ends itself on a fatal condition (e.g. the master refuses its registration as
 * invalid). main.ts stops the agent and exits with the code; tests record the call.
 */
export const AGENT_EXIT = Symbol('AGENT_EXIT');
export type AgentExit = (code: number, reason: string) => void;
