import type { TaskInfo, TaskState, TaskStatus } from '@pando/protocol';
import type { Resources } from '@pando/resources';

/** How many status changes a task remembers (the state endpoint shows them). */
export const STATUS_HISTORY_LIMIT = 10;

export interface StatusEntry {
  state: TaskState;
  /** ms since the epoch. */
  timestamp: number;
  uuid?: string;
  healthy?: boolean;
  /** Why the task is in this state: shown in /master/state so an operator sees e.g. the exit code. */
  reason?: string;
  message?: string;
}

/** The latest status without `data`, which may be large and is only for the framework. */
export type LatestStatus = Omit<TaskStatus, 'data'>;

/** One task the master knows: what it is, where it runs, and what happened to it. */
export class TaskRecord {
  readonly statuses: StatusEntry[] = [];
  latest?: LatestStatus;
  /** The last health verdict any status carried (statuses without one leave it as it was). */
  healthy?: boolean;
  private resourcesState?: Record<string, number | string>;

  constructor(
    public info: TaskInfo,
    /** info.resources parsed once: the task table sums these into used resources. */
    private parsedResources: Resources,
    public state: TaskState,
    /**
     * True when the master learnt of the task from a status update alone (after a restart) and
     * made up the info; the agent's next re-registration brings the real one.
     */
    public partial = false,
  ) {}

  get resources(): Resources {
    return this.parsedResources;
  }

  set resources(resources: Resources) {
    this.parsedResources = resources;
    this.resourcesState = undefined;
  }

  /**
   * resources.toStateJson(), computed once, on first use: /master/state shows every task on every
   * request, but launching 10,000s of tasks should not pay for it up front.
   */
  resourcesStateJson(): Record<string, number | string> {
    this.resourcesState ??= this.parsedResources.toStateJson();
    return this.resourcesState;
  }

  get id(): string {
    return this.info.taskId;
  }

  get agentId(): string {
    return this.info.agentId;
  }

  get frameworkId(): string {
    return this.info.frameworkId;
  }

  hasApplied(uuid: string): boolean {
    return this.statuses.some((entry) => entry.uuid === uuid);
  }

  /** Takes a status as the task's current one (the caller has decided it applies). */
  record(status: TaskStatus, timestamp: number): void {
    const { data: _data, ...latest } = status;
    this.state = status.state;
    this.latest = latest;
    if (status.healthy !== undefined) this.healthy = status.healthy;
    const entry: StatusEntry = { state: status.state, timestamp };
    if (status.uuid !== undefined) entry.uuid = status.uuid;
    if (status.healthy !== undefined) entry.healthy = status.healthy;
    if (status.reason !== undefined) entry.reason = status.reason;
    if (status.message !== undefined) entry.message = status.message;
    this.statuses.push(entry);
    if (this.statuses.length > STATUS_HISTORY_LIMIT) this.statuses.shift();
  }
}
