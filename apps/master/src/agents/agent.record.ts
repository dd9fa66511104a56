import { Resources, UNRESERVED_ROLE, type ResourceJson } from '@pando/resources';
import { applyDynamicReservations } from './dynamic-reservations';

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
 *
 * Its totals are what the agent reports with its dynamic reservations (RESERVE) applied on top:
 * the agent knows nothing of them, the master keeps them here and re-applies them whenever the
 * agent re-registers (see applyDynamicReservations).
 */
export class AgentRecord {
  active = true;
  /** ms since the epoch. */
  lastSeen: number;
  /** ms since the epoch, set when the agent re-registers with this master. */
  reregisteredTime?: number;
  /** ms since the epoch: when it was last seen before it was marked unreachable (unset while active). */
  unreachableTime?: number;
  /** Dynamic reservations; undefined when there are none (the usual case, and no bag to keep). */
  private reservations?: Resources;
  /** Reservations the reported totals cannot hold (see applyDynamicReservations); usually undefined. */
  private unapplied?: Resources;
  /** Reported totals with the reservations applied. */
  private totals: Resources;
  /**
   * toStateJson() of the totals, computed when they are set (they only change on
   * re-registration and reservations), so that /master/state never formats 10,000s of them in one request.
   */
  private totalsStateJson: AgentStateResources;

  constructor(
    readonly id: string,
    public info: AgentInfo,
    private reported: Resources,
    /** ms since the epoch, when a master first admitted the agent. */
    readonly registeredTime: number,
    reservations?: Resources,
  ) {
    this.lastSeen = registeredTime;
    this.totals = reported;
    this.totalsStateJson = stateResources(reported);
    if (reservations && !reservations.isEmpty()) this.setDynamicReservations(reservations);
  }

  /** The agent's totals: what it reports, with its dynamic reservations applied. */
  get resources(): Resources {
    return this.totals;
  }

  /** What the agent itself reports (no dynamic reservations). */
  get reportedResources(): Resources {
    return this.reported;
  }

  /** The dynamic reservations made on this agent (RESERVE), in the form they were made. */
  get dynamicReservations(): Resources {
    return this.reservations ?? Resources.empty();
  }

  /** Reservations the agent's reported totals cannot hold right now (empty normally). */
  get unappliedReservations(): Resources {
    return this.unapplied ?? Resources.empty();
  }

  /** Takes what a re-registering agent reports about itself. */
  update(info: AgentInfo, reported: Resources): void {
    this.info = info;
    if (!reported.equals(this.reported)) {
      this.reported = reported;
      this.applyTotals();
    }
  }

  /** Replaces the dynamic reservations (call through AgentRegistry.setDynamicReservations). */
  setDynamicReservations(reservations: Resources): void {
    this.reservations = reservations.isEmpty() ? undefined : Resources.empty().addInPlace(reservations);
    this.applyTotals();
  }

  /** Totals and unreserved totals in the /master/state shape. */
  stateJson(): AgentStateResources {
    return this.totalsStateJson;
  }

  private applyTotals(): void {
    if (!this.reservations) {
      this.totals = this.reported;
      this.unapplied = undefined;
    } else {
      const { total, unapplied } = applyDynamicReservations(this.reported, this.reservations);
      this.totals = total;
      this.unapplied = unapplied.isEmpty() ? undefined : unapplied;
    }
    this.totalsStateJson = stateResources(this.totals);
  }
}

export interface AgentStateResources {
  resources: Record<string, number | string>;
  unreserved: Record<string, number | string>;
  /** Mesos's `reserved_resources`: per role, static and dynamic reservations summed. */
  reserved: Record<string, Record<string, number | string>>;
  /** Mesos's `reserved_resources_full`: per role, the reserved resources in wire form (with their reservation). */
  reservedFull: Record<string, ResourceJson[]>;
}

function stateResources(totals: Resources): AgentStateResources {
  const reserved: AgentStateResources['reserved'] = {};
  const reservedFull: AgentStateResources['reservedFull'] = {};
  const roles = new Set(totals.toJson().map((r) => r.role ?? UNRESERVED_ROLE));
  roles.delete(UNRESERVED_ROLE);
  for (const role of [...roles].sort()) {
    const mine = totals.reservedTo(role);
    reserved[role] = mine.toStateJson();
    reservedFull[role] = mine.toJson();
  }
  return { resources: totals.toStateJson(), unreserved: totals.unreserved().toStateJson(), reserved, reservedFull };
}
