import { isTerminalState } from '@pando/protocol';
import { Resources } from '@pando/resources';
import type { AgentCheckpointData } from '../checkpoint/agent-checkpoint';
import type { TaskRecord } from '../status/status-update-manager';

/** The agent as configured now. */
export interface CurrentAgentConfig {
  hostname: string;
  resources: Resources;
}

/** Resources of the recovered tasks that have not ended. */
export function usedByTasks(records: readonly TaskRecord[]): Resources {
  const used = Resources.empty();
  for (const record of records) {
    if (!record.task || record.terminal || (record.latest && isTerminalState(record.latest.state))) continue;
    used.addInPlace(Resources.fromJson(record.task.resources));
  }
  return used;
}

/**
 * Why the restarted agent cannot be the agent it was (empty: it can). The master knows the old
 * agent by its host name and resources, and has its tasks placed on them: a different host name,
 * or resources that no longer hold what the recovered tasks use, make it another agent. Resources
 * that merely changed (more memory, a re-detected disk) are compatible: the agent re-registers
 * with its new totals, as Mesos's additive reconfiguration policy allows.
 */
export function incompatibilities(saved: AgentCheckpointData, current: CurrentAgentConfig, records: readonly TaskRecord[]): string[] {
  const problems: string[] = [];
  if (saved.hostname !== undefined && saved.hostname !== current.hostname) {
    problems.push(`the host name changed from '${saved.hostname}' to '${current.hostname}'`);
  }
  const used = usedByTasks(records);
  if (!current.resources.contains(used)) {
    problems.push(`the resources (${current.resources.toString()}) no longer hold what its running tasks use (${used.toString()})`);
  }
  return problems;
}
