import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createLogger, RetryWheel, type Clock } from '@pando/common';
import type { TaskStatus } from '@pando/protocol';
import { AgentMessenger } from '../agents/agent-messenger.service';
import { CLOCK } from '../master.tokens';
import type { StatusUpdateSink } from '../tasks/status-update.sink';
import type { TaskRecord } from '../tasks/task.record';
import { FrameworkEventsPublisher } from './framework-events.publisher';
import { FrameworkRegistry } from './framework-registry.service';
import type { FrameworkRecord } from './framework.record';
import { statusForFramework } from './framework-task-state';

/** Re-forwarding of an unacknowledged update starts here and doubles up to the cap. */
export const UPDATE_RETRY_FIRST_MS = 1000;
export const UPDATE_RETRY_MAX_MS = 30_000;

interface PendingUpdate {
  readonly frameworkId: string;
  readonly taskId: string;
  readonly status: TaskStatus;
  /** One per copy of the update the agent sent meanwhile: each is acknowledged, as it came. */
  readonly acknowledgers: Array<() => void>;
  delayMs: number;
}

/**
 * The STATUS_UPDATE_SINK: agents' updates go to their framework as UPDATE events and the agent is
 * acknowledged only once the framework acknowledged (the router's `acknowledge` is called then).
 * At most one update per task is pending (agents send the next only after an ack). A pending
 * update is re-forwarded with backoff while the framework is connected, and at once when it
 * re-subscribes; updates of frameworks that are gone are acknowledged straight away.
 */
@Injectable()
export class UpdateForwarder implements StatusUpdateSink, OnModuleDestroy {
  private readonly log = createLogger('update-forwarder');
  private readonly pending = new Map<string, Map<string, PendingUpdate>>();
  /** Re-forwarding deadlines of every pending update, on one timer (see RetryWheel). */
  private readonly retries: RetryWheel<PendingUpdate>;
  private forwarded = 0;

  constructor(
    private readonly frameworks: FrameworkRegistry,
    private readonly publisher: FrameworkEventsPublisher,
    private readonly messenger: AgentMessenger,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.retries = new RetryWheel(clock, (due) => {
      for (const update of due) this.retry(update);
    });
  }

  get pendingCount(): number {
    let count = 0;
    for (const updates of this.pending.values()) count += updates.size;
    return count;
  }

  get forwardedCount(): number {
    return this.forwarded;
  }

  onModuleDestroy(): void {
    this.retries.clear();
  }

  forwardAgentUpdate(task: TaskRecord, status: TaskStatus, acknowledge: () => void): void {
    const framework = this.frameworks.get(task.frameworkId);
    // The operator framework, or a framework that is gone: nobody to wait for.
    if (!framework) return acknowledge();
    let updates = this.pending.get(framework.id);
    if (!updates) this.pending.set(framework.id, (updates = new Map()));
    const existing = updates.get(task.id);
    if (existing && existing.status.uuid === status.uuid) {
      existing.acknowledgers.push(acknowledge);
      return;
    }
    // A newer update supersedes an older one still waiting (the agent moved on).
    if (existing) this.settle(existing);
    const update: PendingUpdate = { frameworkId: framework.id, taskId: task.id, status, acknowledgers: [acknowledge], delayMs: UPDATE_RETRY_FIRST_MS };
    updates.set(task.id, update);
    if (deliverable(framework)) this.send(framework, update);
  }

  forwardMasterUpdate(task: TaskRecord, status: TaskStatus): void {
    const framework = this.frameworks.get(task.frameworkId);
    if (framework && deliverable(framework)) this.publisher.update(framework.id, statusForFramework(status, framework.partitionAware));
  }

  /** An update the master makes for a task it does not hold (a refused launch, a reconciliation). */
  sendMasterUpdate(framework: FrameworkRecord, status: TaskStatus): void {
    if (deliverable(framework)) this.publisher.update(framework.id, statusForFramework(status, framework.partitionAware));
  }

  /**
   * ACKNOWLEDGE from the framework. Settles the pending update with that uuid, which lets the
   * router acknowledge the agent; with none pending (e.g. the master restarted since) the
   * acknowledgement goes to the agent directly, which ignores uuids it does not wait for.
   */
  acknowledge(frameworkId: string, agentId: string, taskId: string, uuid: string): boolean {
    const update = this.pending.get(frameworkId)?.get(taskId);
    if (update && update.status.uuid === uuid) {
      this.settle(update);
      return true;
    }
    this.messenger.acknowledge(agentId, taskId, uuid);
    return false;
  }

  /** The framework (re-)subscribed and listens: everything still pending goes out again now. */
  resume(framework: FrameworkRecord): void {
    for (const update of this.pending.get(framework.id)?.values() ?? []) {
      update.delayMs = UPDATE_RETRY_FIRST_MS;
      this.send(framework, update);
    }
  }

  /** The framework disconnected: stop retrying until it is back. */
  pause(frameworkId: string): void {
    for (const update of this.pending.get(frameworkId)?.values() ?? []) this.stopRetry(update);
  }

  /** The framework was removed: its agents may stop re-sending. */
  drop(frameworkId: string): void {
    const updates = this.pending.get(frameworkId);
    if (!updates) return;
    for (const update of [...updates.values()]) this.settle(update);
    this.pending.delete(frameworkId);
  }

  private send(framework: FrameworkRecord, update: PendingUpdate): void {
    this.publisher.update(framework.id, statusForFramework(update.status, framework.partitionAware));
    this.forwarded++;
    this.retries.schedule(update, update.delayMs);
    update.delayMs = Math.min(update.delayMs * 2, UPDATE_RETRY_MAX_MS);
  }

  private retry(update: PendingUpdate): void {
    const framework = this.frameworks.get(update.frameworkId);
    if (!framework || this.pending.get(update.frameworkId)?.get(update.taskId) !== update || !deliverable(framework)) return;
    this.log.debug({ frameworkId: framework.id, taskId: update.taskId, uuid: update.status.uuid }, 're-forwarding an unacknowledged update');
    this.send(framework, update);
  }

  private settle(update: PendingUpdate): void {
    this.stopRetry(update);
    const updates = this.pending.get(update.frameworkId);
    if (updates?.get(update.taskId) === update) {
      updates.delete(update.taskId);
      if (updates.size === 0) this.pending.delete(update.frameworkId);
    }
    for (const acknowledge of update.acknowledgers) acknowledge();
  }

  private stopRetry(update: PendingUpdate): void {
    this.retries.cancel(update);
  }
}

function deliverable(framework: FrameworkRecord): boolean {
  return framework.active && framework.listening;
}
