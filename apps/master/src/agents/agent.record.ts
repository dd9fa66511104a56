import type { Resources } from '@pando/resources';

/** What an agent says about itself when it (re-)registers; replaced on every re-registration. */
export interface AgentInfo {
  hostname: string;
  /** The agent's HTTP port (sandboxes), when it serves one. */
  httpPort?: number;
  version: string;
  attributes: Record<string, string | number>;
  /** Executor plugin ids the agent can run ('command', 'docker', ...). */
  executors: readonly string[];
}

/**
 * One admitted agent. Kept lean on purpose (10,000s of them): the info object as received,
 * the parsed total resources and a few numbers. Task-related figures (used resources, task ids)
 * live in the task table, which owns them.
 */
export class AgentRecord {
  active = true;
  /** ms since the epoch. */
  lastSeen: number;
  /** ms since the epoch, set when the agent re-registers with this master. */
  reregisteredTime?: number;
  /** ms since the epoch: when it was last seen before it was marked unreachable (unset while active). */
  unreachableTime?: number;
  /**
   * toStateJson() of the totals, computed when they are set (they only change on
   * re-registration), so that /master/state never formats 10,000s of them in one request.
   */
  private totalsStateJson: AgentStateResources;

  constructor(
    readonly id: string,
    public info: AgentInfo,
    private totals: Resources,
    /** ms since the epoch, when a master first admitted the agent. */
    readonly registeredTime: number,
  ) {
    this.lastSeen = registeredTime;
    this.totalsStateJson = stateResources(totals);
  }

  get resources(): Resources {
    return this.totals;
  }

  /** Takes what a re-registering agent reports about itself. */
  update(info: AgentInfo, totals: Resources): void {
    this.info = info;
    if (!totals.equals(this.totals)) {
      this.totals = totals;
      this.totalsStateJson = stateResources(totals);
    }
  }

  /** Totals and unreserved totals in the /master/state shape. */
  stateJson(): AgentStateResources {
    return this.totalsStateJson;
  }
}

export interface AgentStateResources {
  resources: Record<string, number | string>;
  unreserved: Record<string, number | string>;
}

function stateResources(totals: Resources): AgentStateResources {
  return { resources: totals.toStateJson(), unreserved: totals.unreserved().toStateJson() };
}
