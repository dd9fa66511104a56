import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { TaskState } from '@pando/protocol';
import { FRAMEWORK_PLUGIN_CONTEXT, storeKey, type FrameworkPluginContext } from '@pando/sdk';
import { Subject, type Observable } from 'rxjs';

/** The one run of the command on one agent. */
export interface Run {
  agentId: string;
  taskId: string;
  /** LAUNCHING until the first status update; then the task's state. */
  state: TaskState | 'LAUNCHING';
  message?: string;
  updatedAt: string;
}

const RUNS = 'runs';

/**
 * Which agents got their run, kept in the plugin's store (one key per agent) so that a restarted
 * or failed-over plugin never runs the command twice on an agent. Loaded before the first offer:
 * Nest runs onModuleInit before the host starts the driver.
 */
@Injectable()
export class RunBook implements OnModuleInit {
  private readonly runs = new Map<string, Run>();
  private readonly changes = new Subject<Run>();

  constructor(@Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext) {}

  async onModuleInit(): Promise<void> {
    for (const { value } of await this.context.store.list<Run>(`${RUNS}.`)) this.runs.set(value.agentId, value);
    this.context.log.info({ runs: this.runs.size }, `loaded ${this.runs.size} runs`);
  }

  all(): Run[] {
    return [...this.runs.values()];
  }

  forAgent(agentId: string): Run | undefined {
    return this.runs.get(agentId);
  }

  byTask(taskId: string): Run | undefined {
    return this.all().find((run) => run.taskId === taskId);
  }

  /** Every change, as it is stored (for the SSE endpoint). */
  watch(): Observable<Run> {
    return this.changes.asObservable();
  }

  /** Stores the run *before* the caller launches it: a crash in between skips the agent, never runs twice. */
  async record(run: Omit<Run, 'updatedAt'>): Promise<void> {
    const stored: Run = { ...run, updatedAt: new Date(this.context.clock.now()).toISOString() };
    await this.context.store.put(storeKey(RUNS, run.agentId), stored);
    this.runs.set(run.agentId, stored);
    this.changes.next(stored);
  }
}
