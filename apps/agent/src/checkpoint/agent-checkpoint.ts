import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { createLogger, describeError, isSubjectSafeId, type Logger } from '@pando/common';
import { AGENT_CONFIG, type AgentConfig } from '../agent.options';
import { AgentSession } from '../master/agent-session';

/** What survives an agent restart (for now: its id, so the master sees the same agent again). */
export interface AgentCheckpointData {
  agentId: string;
}

export const CHECKPOINT_FILE = 'agent.json';

/** Reads and writes <workDir>/agent.json; writes are atomic (temp file + rename). */
@Injectable()
export class AgentCheckpoint {
  private readonly log: Logger = createLogger('agent.checkpoint');

  constructor(@Inject(AGENT_CONFIG) private readonly config: AgentConfig) {}

  get path(): string {
    return join(this.config.workDir, CHECKPOINT_FILE);
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
      if (typeof data.agentId === 'string' && isSubjectSafeId(data.agentId)) return { agentId: data.agentId };
      throw new Error('no valid agentId');
    } catch (err) {
      this.log.warn({ path: this.path, err: describeError(err) }, 'ignoring a malformed agent checkpoint; starting as a new agent');
      return undefined;
    }
  }

  async write(data: AgentCheckpointData): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    // A crash mid-write must leave either the old file or the new one, never half of one.
    const temp = `${this.path}.tmp-${process.pid}`;
    await writeFile(temp, `${JSON.stringify(data)}\n`, { mode: 0o600 });
    await rename(temp, this.path);
  }
}

/** Builds the agent's session with the id it had before a restart, if any. */
export async function restoreSession(checkpoint: AgentCheckpoint): Promise<AgentSession> {
  const session = new AgentSession();
  const saved = await checkpoint.read();
  if (saved) {
    createLogger('agent').info({ agentId: saved.agentId, path: checkpoint.path }, 'restored the agent id from the checkpoint');
    session.setAgentId(saved.agentId);
  }
  return session;
}
