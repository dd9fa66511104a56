import { Resources } from '@pando/resources';
import type { TaskRecord } from './task.record';

type StateJson = Record<string, number | string>;

/**
 * The non-terminal tasks of one agent or one framework and the sum of their resources, kept
 * up to date as tasks come and go so that "used resources" never needs a recount.
 */
export class TaskBucket {
  readonly taskIds = new Set<string>();
  readonly used = Resources.empty();
  private stateJsonCache?: StateJson;

  get size(): number {
    return this.taskIds.size;
  }

  add(task: TaskRecord): void {
    this.taskIds.add(task.id);
    this.used.addInPlace(task.resources);
    this.stateJsonCache = undefined;
  }

  remove(task: TaskRecord): void {
    if (!this.taskIds.delete(task.id)) return;
    this.used.subtractInPlace(task.resources);
    this.stateJsonCache = undefined;
  }

  /** A task's resources changed (its agent reported the real ones). */
  replaceResources(previous: Resources, next: Resources): void {
    this.used.subtractInPlace(previous).addInPlace(next);
    this.stateJsonCache = undefined;
  }

  /** used.toStateJson(), computed once per change rather than once per /master/state request. */
  usedStateJson(): StateJson {
    this.stateJsonCache ??= this.used.toStateJson();
    return this.stateJsonCache;
  }
}
