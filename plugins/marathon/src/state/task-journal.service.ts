import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { describeError } from '@pando/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';
import { familyPrefix, launchKey } from './store-keys';
import type { TrackedTask } from './task-tracker.service';

/**
 * A launch as written ahead of its ACCEPT: one app version on one agent, many tasks. Enough to
 * rebuild the tasks after a restart (which app version, where, on which host ports); their
 * states come from reconciliation. Task states are never written: at 10,000 updates a second
 * that would be the bottleneck, and the master knows them anyway.
 */
export interface LaunchRecord {
  appId: string;
  version: string;
  agentId: string;
  hostname: string;
  attributes: Record<string, string | number>;
  stagedAt: number;
  /** [task id, host ports] per task. */
  tasks: Array<[string, number[]]>;
}

/**
 * The write-ahead task journal: one key per launch batch (`tasks.<batch id>`), written before
 * the ACCEPT that launches it and deleted once every task in it has ended. A 10,000-instance
 * scale-up over 100 agents is about 100 writes, not 10,000.
 */
@Injectable()
export class TaskJournal {
  /** Live tasks left per batch. */
  private readonly remaining = new Map<string, number>();

  constructor(@Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext) {}

  newBatchId(): string {
    return randomUUID().replaceAll('-', '');
  }

  /** Writes the records (in parallel); the launch must wait for it. */
  async record(batches: ReadonlyArray<{ batchId: string; record: LaunchRecord }>): Promise<void> {
    await Promise.all(batches.map(({ batchId, record }) => this.context.store.put(launchKey(batchId), record)));
    for (const { batchId, record } of batches) this.remaining.set(batchId, (this.remaining.get(batchId) ?? 0) + record.tasks.length);
  }

  /** A task of a batch ended (or never launched): the batch goes when its last task does. */
  release(task: Pick<TrackedTask, 'batchId'>): void {
    const batchId = task.batchId;
    if (batchId === undefined) return;
    const left = (this.remaining.get(batchId) ?? 1) - 1;
    if (left > 0) {
      this.remaining.set(batchId, left);
      return;
    }
    this.remaining.delete(batchId);
    this.context.store.delete(launchKey(batchId)).catch((err: unknown) => {
      this.context.log.warn({ batchId, err: describeError(err) }, `failed to delete launch record ${batchId}`);
    });
  }

  /** Every record, as tasks in an unknown state (reconciliation tells the truth). */
  async load(): Promise<TrackedTask[]> {
    const records = await this.context.store.list<LaunchRecord>(familyPrefix('tasks'));
    const tasks: TrackedTask[] = [];
    for (const { key, value } of records) {
      const batchId = key.slice(familyPrefix('tasks').length);
      this.remaining.set(batchId, value.tasks.length);
      for (const [taskId, hostPorts] of value.tasks) {
        tasks.push({
          taskId,
          appId: value.appId,
          agentId: value.agentId,
          host: value.hostname,
          attributes: value.attributes,
          hostPorts,
          version: value.version,
          state: 'UNKNOWN',
          stagedAt: value.stagedAt,
          batchId,
          confirmed: false,
        });
      }
    }
    return tasks;
  }

  /** Batches still holding live tasks (for metrics and tests). */
  get batchCount(): number {
    return this.remaining.size;
  }
}
