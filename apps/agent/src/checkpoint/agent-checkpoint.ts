import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { createLogger, describeError, isSubjectSafeId, type Logger } from '@pando/common';
import type { ResourceJson } from '@pando/resources';
import { AGENT_CONFIG, type AgentConfig } from '../agent.options';
import { AgentSession } from '../master/agent-session';
import { writeFileAtomic } from './atomic-file';

/**
 * Who the agent is, kept across restarts: its id, and what it registered with (host name and
 * total resources), so that a restart with a configuration its tasks do not fit is noticed.
 */
export interface AgentCheckpointData {
  agentId: string;
  /** Absent in checkpoints written before the agent recorded its configuration. */
  hostname?: string;
  resources?: ResourceJson[];
}

export const CHECKPOINT_FILE = 'agent.json';

/** Reads and writes <workDir>/agent.json; writes are atomic and durable (temp + fsync + rename). */
@Injectable()
export class AgentCheckpoint {
  private readonly log: Logger = createLogger('agent.checkpoint');
  private loaded?: Promise<AgentCheckpointData | undefined>;

  constructor(@Inject(AGENT_CONFIG) private readonly config: AgentConfig) {}

  get path(): string {
    return join(this.config.workDir, CHECKPOINT_FILE);
  }

  /** The checkpoint as it was when the agent started (read once). */
  saved(): Promise<AgentCheckpointData | undefined> {
    this.loaded ??= this.read();
    return this.loaded;
  }

  /** The checkpoint, or undefined when there is none or it is unreadable (logged: start fresh). */
  async read(): Promise<AgentCheckpointData | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ path: this.path, err: describeError(err) }, 'cannot read the agent checkpoint; starting as a new agent');
      return undefined;
    }
    try {
      const data = JSON.parse(text) as Partial<AgentCheckpointData>;
      if (typeof data.agentId !== 'string' || !isSubjectSafeId(data.agentId)) throw new Error('no valid agentId');
      const result: AgentCheckpointData = { agentId: data.agentId };
      if (typeof data.hostname === 'string') result.hostname = data.hostname;
      if (Array.isArray(data.resources)) result.resources = data.resources;
      return result;
    } catch (err) {
      this.log.warn({ path: this.path, err: describeError(err) }, 'ignoring a malformed agent checkpoint; starting as a new agent');
      return undefined;
    }
  }

  async write(data: AgentCheckpointData): Promise<void> {
    await mkdir(this.config.workDir, { recursive: true });
    // A crash mid-write must leave either the old file or the new one, never half of one.
    await writeFileAtomic(this.path, `${JSON.stringify(data)}\n`);
  }
}

/** Builds the agent's session with the id it had before a restart, if any. */
export async function restoreSession(checkpoint: AgentCheckpoint): Promise<AgentSession> {
  const session = new AgentSession();
  const saved = await checkpoint.saved();
  if (saved) {
    createLogger('agent').info({ agentId: saved.agentId, path: checkpoint.path }, 'restored the agent id from the checkpoint');
    session.setAgentId(saved.agentId);
  }
  return session;
}
