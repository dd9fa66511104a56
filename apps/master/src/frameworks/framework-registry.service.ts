import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError } from '@pando/common';
import type { FrameworkInfo } from '@pando/protocol';
import { MASTER_OPTIONS_TOKEN } from '../master.tokens';
import type { MasterOptions } from '../master.options';
import { FrameworkRecord, type FrameworkPhase } from './framework.record';

/**
 * The frameworks this master knows: live ones (subscribed, disconnected, recovered) by id, and a
 * bounded history of removed ones (oldest dropped first). Pure bookkeeping: the lifecycle
 * service decides the transitions.
 */
@Injectable()
export class FrameworkRegistry {
  private readonly live = new Map<string, FrameworkRecord>();
  private readonly completed = new Map<string, FrameworkRecord>();
  // A fresh prefix per process (as for agent ids): ids of an earlier run are never handed out again.
  private readonly idPrefix = randomUUID();
  private sequence = 0;
  private readonly completedLimit: number;

  constructor(@Inject(MASTER_OPTIONS_TOKEN) options: Pick<MasterOptions, 'completedFrameworks'>) {
    this.completedLimit = options.completedFrameworks;
  }

  get size(): number {
    return this.live.size;
  }

  get(frameworkId: string): FrameworkRecord | undefined {
    return this.live.get(frameworkId);
  }

  /** A removed framework still in the history. */
  getRemoved(frameworkId: string): FrameworkRecord | undefined {
    return this.completed.get(frameworkId);
  }

  values(): IterableIterator<FrameworkRecord> {
    return this.live.values();
  }

  removed(): IterableIterator<FrameworkRecord> {
    return this.completed.values();
  }

  newId(): string {
    return `${this.idPrefix}-${String(this.sequence++).padStart(4, '0')}`;
  }

  add(id: string, info: FrameworkInfo, phase: FrameworkPhase, now: number): FrameworkRecord {
    const record = new FrameworkRecord(id, { ...info, id }, phase, now);
    this.live.set(id, record);
    return record;
  }

  /**
   * Moves a framework to the history of removed ones; returns the id of the oldest removed one
   * when the history overflowed and dropped it (the registry forgets it too).
   */
  retire(record: FrameworkRecord, reason: string, now: number): string | undefined {
    this.live.delete(record.id);
    record.phase = 'removed';
    record.removalReason = reason;
    record.unregisteredTime = now;
    record.connection = undefined;
    return this.remember(record);
  }

  /** A removed framework read from the registry (its id stays refused); returns an id dropped, as retire does. */
  restoreRemoved(record: FrameworkRecord): string | undefined {
    if (this.live.has(record.id)) return undefined;
    return this.remember(record);
  }

  private remember(record: FrameworkRecord): string | undefined {
    if (this.completedLimit === 0) return record.id;
    this.completed.delete(record.id);
    this.completed.set(record.id, record);
    if (this.completed.size <= this.completedLimit) return undefined;
    const oldest = this.completed.keys().next().value!;
    this.completed.delete(oldest);
    return oldest;
  }

  /**
   * The subscribed framework a call names, checked against the caller's connection. Refusals
   * change nothing: an unknown id is NOT_FOUND; a framework that is not subscribed (disconnected,
   * not yet re-subscribed, removed) or that subscribed from another connection is a CONFLICT.
   */
  caller(frameworkId: string, connection: string | undefined, call: string): FrameworkRecord {
    const record = this.live.get(frameworkId);
    if (!record) {
      const removed = this.completed.get(frameworkId);
      if (removed) throw new ConflictError(`${call} refused: framework '${frameworkId}' was removed (${removed.removalReason ?? 'removed'})`);
      throw new NotFoundError(`${call} refused: framework '${frameworkId}' is not subscribed`);
    }
    if (record.phase !== 'subscribed') {
      throw new ConflictError(`${call} refused: framework '${frameworkId}' is ${record.phase}, not subscribed: SUBSCRIBE first`);
    }
    if (connection !== record.connection) {
      throw new ConflictError(`${call} refused: framework '${frameworkId}' is subscribed from another connection (it failed over, or the id is not yours)`);
    }
    return record;
  }
}

/**
 * The connection a request came from: NATS request replies go to `<inbox prefix>.<token>` and
 * the prefix is fixed per client connection. Undefined for publish-only messages.
 */
export function connectionOf(reply: string | undefined): string | undefined {
  if (!reply) return undefined;
  const at = reply.lastIndexOf('.');
  return at <= 0 ? reply : reply.slice(0, at);
}
