import { Inject, Injectable } from '@nestjs/common';
import { createLogger, describeError } from '@pando/common';
import type { Resources } from '@pando/resources';
import type { Allocator } from '../allocation';
import { ALLOCATOR } from '../master.tokens';
import { TaskTable } from '../tasks/task-table.service';
import type { TaskRecord } from '../tasks/task.record';
import { AllocationTrigger } from './allocation-trigger';

interface Entry {
  /** The framework the allocator books the resources to (the built-in operator one for orphans). */
  readonly holder: string;
  readonly agentId: string;
  readonly resources: Resources;
}

/**
 * Which live tasks' resources the allocator holds as allocated, and to whom. It makes recovery
 * exact: a task reaching a terminal state gives back precisely what was booked for it, once, and
 * a task the allocator never booked (a partial record, a task reported terminal on arrival)
 * gives back nothing, so no framework's allocation is ever shrunk below what it really uses.
 */
@Injectable()
export class TaskLedger {
  private readonly log = createLogger('task-ledger');
  private readonly entries = new Map<string, Entry>();
  private readonly byAgent = new Map<string, Set<string>>();

  constructor(
    @Inject(ALLOCATOR) private readonly allocator: Allocator,
    private readonly trigger: AllocationTrigger,
    tasks: TaskTable,
  ) {
    tasks.onCompleted((task) => this.release(task));
  }

  get size(): number {
    return this.entries.size;
  }

  holderOf(taskId: string): string | undefined {
    return this.entries.get(taskId)?.holder;
  }

  /** A task launched from offered resources: they are allocated to its framework already. */
  launched(task: TaskRecord): void {
    this.remember(task.id, { holder: task.frameworkId, agentId: task.agentId, resources: task.resources });
  }

  /**
   * Books the resources of a task the allocator does not know yet (an operator launch, a task an
   * agent reported). False when the agent does not have them available (logged).
   */
  track(task: TaskRecord, holder: string): boolean {
    if (task.resources.isEmpty() || this.entries.has(task.id)) return true;
    try {
      this.allocator.trackAllocated(holder, task.agentId, task.resources);
    } catch (err) {
      this.log.error(
        { taskId: task.id, agentId: task.agentId, holder, err: describeError(err) },
        `cannot account task '${task.id}' on agent ${task.agentId}: ${describeError(err)}`,
      );
      return false;
    }
    this.remember(task.id, { holder, agentId: task.agentId, resources: task.resources });
    return true;
  }

  /** The allocator dropped the agent (and every allocation on it): forget its tasks' entries. */
  forgetAgent(agentId: string): void {
    for (const taskId of this.byAgent.get(agentId) ?? []) this.entries.delete(taskId);
    this.byAgent.delete(agentId);
  }

  /** The allocator dropped the framework: forget the entries it held. */
  forgetHolder(holder: string): void {
    for (const [taskId, entry] of this.entries) if (entry.holder === holder) this.forget(taskId, entry);
  }

  private release(task: TaskRecord): void {
    const entry = this.entries.get(task.id);
    if (!entry) return;
    this.forget(task.id, entry);
    try {
      this.allocator.recoverResources(entry.holder, entry.agentId, entry.resources);
    } catch (err) {
      this.log.error({ taskId: task.id, err: describeError(err) }, `failed to recover the resources of task '${task.id}': ${describeError(err)}`);
    }
    this.trigger.trigger();
  }

  private remember(taskId: string, entry: Entry): void {
    this.entries.set(taskId, entry);
    let set = this.byAgent.get(entry.agentId);
    if (!set) this.byAgent.set(entry.agentId, (set = new Set()));
    set.add(taskId);
  }

  private forget(taskId: string, entry: Entry): void {
    this.entries.delete(taskId);
    const set = this.byAgent.get(entry.agentId);
    set?.delete(taskId);
    if (set?.size === 0) this.byAgent.delete(entry.agentId);
  }
}
