import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { ConflictError, createLogger, InputError, type Clock, type TimerHandle } from '@pando/common';
import { ONE_WEEK_SECONDS, type FrameworkInfo } from '@pando/protocol';
import { isValidRole } from '@pando/resources';
import type { Allocator } from '../allocation';
import { AgentMessenger } from '../agents/agent-messenger.service';
import { ALLOCATOR, CLOCK, MASTER_OPTIONS_TOKEN, REGISTRY_SINK } from '../master.tokens';
import type { MasterOptions } from '../master.options';
import { AllocationTrigger } from '../offers/allocation-trigger';
import type { StoredFramework } from '../registry/registry.records';
import { NO_REGISTRY, type RegistrySink } from '../registry/registry.sink';
import { OfferService } from '../offers/offer.service';
import { TaskLedger } from '../offers/task-ledger.service';
import { TaskTable } from '../tasks/task-table.service';
import { FrameworkEventsPublisher } from './framework-events.publisher';
import { FrameworkRegistry } from './framework-registry.service';
import { FrameworkRecord } from './framework.record';
import { UpdateForwarder } from './update-forwarder.service';

/** setTimeout cannot wait longer than this (about 24.8 days); longer failovers wait in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A framework's life on this master: subscribe (new, failover or resumption after a master
 * restart), confirmation that its scheduler listens, disconnection and the failover timeout,
 * UPDATE_FRAMEWORK, and removal (TEARDOWN or timeout: its tasks are killed). Keeps the allocator,
 * the offers and the pending updates in step with each transition.
 */
@Injectable()
export class FrameworkLifecycle implements OnModuleDestroy {
  private readonly log = createLogger('frameworks');

  constructor(
    private readonly registry: FrameworkRegistry,
    @Inject(ALLOCATOR) private readonly allocator: Allocator,
    private readonly offers: OfferService,
    private readonly forwarder: UpdateForwarder,
    private readonly ledger: TaskLedger,
    private readonly tasks: TaskTable,
    private readonly messenger: AgentMessenger,
    private readonly publisher: FrameworkEventsPublisher,
    private readonly trigger: AllocationTrigger,
    @Inject(MASTER_OPTIONS_TOKEN) private readonly options: MasterOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(REGISTRY_SINK) private readonly registrySink: RegistrySink = NO_REGISTRY,
  ) {}

  get heartbeatIntervalSeconds(): number {
    return this.options.frameworkHeartbeatIntervalMs / 1000;
  }

  onModuleDestroy(): void {
    for (const record of this.registry.values()) this.clearFailover(record);
  }

  /**
   * SUBSCRIBE. Without an id the framework is new; with the id of a live framework it resumes
   * it (failover of the scheduler, or a re-subscription after master loss); with an id this
   * master never saw it is taken as a resumption too (the registry may have missed it: its write
   * had not landed when the last leader died). A removed framework may not return.
   * The framework gets offers only once its scheduler answered a heartbeat (see confirmListening).
   */
  subscribe(requestedId: string | undefined, info: FrameworkInfo, connection: string | undefined): FrameworkRecord {
    if (requestedId !== undefined && info.id !== undefined && info.id !== requestedId) {
      throw new InputError(`SUBSCRIBE refused: frameworkId '${requestedId}' and frameworkInfo.id '${info.id}' differ`);
    }
    checkRoles('SUBSCRIBE', info);
    const id = requestedId ?? info.id;
    const now = this.clock.now();
    if (id !== undefined && this.registry.getRemoved(id)) {
      throw new ConflictError(`SUBSCRIBE refused: framework '${id}' was removed (${this.registry.getRemoved(id)!.removalReason}); subscribe without an id`);
    }
    const known = id === undefined ? undefined : this.registry.get(id);
    if (known) {
      this.resume(known, info, connection, now);
      return known;
    }
    const newId = id ?? this.registry.newId();
    this.allocator.addFramework(newId, { roles: info.roles, capabilities: info.capabilities });
    this.allocator.deactivateFramework(newId);
    const record = this.registry.add(newId, info, 'subscribed', now);
    if (id !== undefined) record.reregisteredTime = now;
    record.connection = connection;
    record.persisted = true;
    this.registrySink.frameworkChanged(record);
    this.log.info(
      { frameworkId: record.id, name: info.name, roles: info.roles, resumed: id !== undefined },
      `framework ${record.id} (${info.name}) subscribed${id !== undefined ? ' with the id it had' : ''}`,
    );
    return record;
  }

  /**
   * The scheduler answered a heartbeat: its event subscription exists, so events reach it. Only
   * now is it offered anything (offers published before would be lost) and sent what it missed.
   */
  confirmListening(record: FrameworkRecord): void {
    if (record.phase !== 'subscribed' || record.listening) return;
    record.listening = true;
    record.missedHeartbeats = 0;
    this.publisher.subscribed(record.id, this.heartbeatIntervalSeconds);
    this.allocator.activateFramework(record.id);
    this.forwarder.resume(record);
    this.trigger.trigger();
  }

  /** The scheduler stopped answering: tasks keep running for failoverTimeoutSeconds. */
  disconnect(record: FrameworkRecord, why: string): void {
    if (record.phase !== 'subscribed') return;
    record.phase = 'disconnected';
    record.listening = false;
    record.unregisteredTime = this.clock.now();
    this.allocator.deactivateFramework(record.id);
    this.offers.rescindFramework(record.id, 'framework disconnected', undefined, false);
    this.forwarder.pause(record.id);
    this.registrySink.frameworkChanged(record);
    this.log.warn(
      { frameworkId: record.id, why, failoverTimeoutSeconds: record.info.failoverTimeoutSeconds },
      `framework ${record.id} (${record.info.name}) disconnected: ${why}; its tasks are killed unless it re-subscribes within ${record.info.failoverTimeoutSeconds} s`,
    );
    this.startFailover(record);
  }

  /**
   * A framework agents report tasks of, which this master does not know (it restarted): kept
   * inactive, holding its tasks' resources, until it re-subscribes or the default failover
   * timeout (one week, since its own is unknown) removes it.
   */
  recover(frameworkId: string): FrameworkRecord {
    const existing = this.registry.get(frameworkId);
    if (existing) return existing;
    const info: FrameworkInfo = { id: frameworkId, name: frameworkId, roles: ['*'], failoverTimeoutSeconds: ONE_WEEK_SECONDS, capabilities: [] };
    const record = this.registry.add(frameworkId, info, 'recovered', this.clock.now());
    this.allocator.addFramework(frameworkId, { roles: info.roles });
    this.allocator.deactivateFramework(frameworkId);
    this.log.info({ frameworkId }, `framework ${frameworkId} recovered from an agent's report; waiting for it to re-subscribe`);
    this.startFailover(record);
    return record;
  }

  /**
   * A framework read from the registry by a new leader. Removed: its id stays refused. Active:
   * `recovered` with its real roles until it re-subscribes or takeOver() tells its driver who
   * leads now. Disconnected: its failover timeout runs on from when it was disconnected.
   */
  restore(stored: StoredFramework): void {
    const { id, info } = stored;
    if (this.registry.get(id) || this.registry.getRemoved(id)) return;
    if (stored.state === 'removed') {
      const record = new FrameworkRecord(id, info, 'removed', stored.registeredTime);
      record.persisted = true;
      record.removalReason = stored.removalReason ?? 'removed';
      record.unregisteredTime = stored.unregisteredTime;
      const forgotten = this.registry.restoreRemoved(record);
      if (forgotten !== undefined) this.registrySink.frameworkForgotten(forgotten);
      return;
    }
    this.allocator.addFramework(id, { roles: info.roles, capabilities: info.capabilities });
    this.allocator.deactivateFramework(id);
    const record = this.registry.add(id, info, stored.state === 'active' ? 'recovered' : 'disconnected', stored.registeredTime);
    record.persisted = true;
    record.connection = stored.connection;
    if (stored.state === 'disconnected') {
      record.unregisteredTime = stored.unregisteredTime ?? this.clock.now();
      this.startFailover(record, record.unregisteredTime);
    }
  }

  /**
   * A framework from the registry that has not re-subscribed to this leader is taken over where
   * it is: its session (connection) is kept, and a SUBSCRIBED event with the new epoch tells its
   * driver that this master leads now (the SDK driver then re-subscribes in place and reconciles).
   * The caller probes it next, as after a SUBSCRIBE: it gets offers once it answers, and is
   * disconnected (its failover timeout starts) if it does not. Returns false when there is
   * nothing to take over.
   */
  takeOver(record: FrameworkRecord): boolean {
    if (record.phase !== 'recovered' || !record.persisted) return false;
    record.phase = 'subscribed';
    record.listening = false;
    record.missedHeartbeats = 0;
    record.reregisteredTime = this.clock.now();
    this.clearFailover(record);
    this.publisher.subscribed(record.id, this.heartbeatIntervalSeconds);
    this.log.info({ frameworkId: record.id, name: record.info.name }, `framework ${record.id} (${record.info.name}) taken over from the last leader`);
    return true;
  }

  /** UPDATE_FRAMEWORK: new info; offers in roles it left are rescinded. */
  update(record: FrameworkRecord, info: FrameworkInfo): void {
    if (info.id !== undefined && info.id !== record.id) {
      throw new InputError(`UPDATE_FRAMEWORK refused: frameworkInfo.id '${info.id}' is not the framework's id '${record.id}'`);
    }
    checkRoles('UPDATE_FRAMEWORK', info);
    this.applyInfo(record, info);
    this.registrySink.frameworkChanged(record);
    this.log.info({ frameworkId: record.id, roles: info.roles }, `framework ${record.id} updated`);
    this.trigger.trigger();
  }

  /** TEARDOWN, or the failover timeout ran out: kill its tasks and forget it. */
  remove(record: FrameworkRecord, reason: string): void {
    if (record.phase === 'removed') return;
    this.clearFailover(record);
    const now = this.clock.now();
    let killed = 0;
    for (const task of [...this.tasks.tasksOfFramework(record.id)]) {
      this.messenger.kill(task.agentId, task.frameworkId, task.id, task.info.killGracePeriodMs);
      // As Mesos does, the master counts them KILLED now, so their resources are free at once.
      this.tasks.applyMasterStatus(task, 'KILLED', 'REASON_FRAMEWORK_REMOVED', `framework removed: ${reason}`, now);
      killed++;
    }
    this.offers.rescindFramework(record.id, 'framework removed', undefined, false);
    this.forwarder.drop(record.id);
    this.allocator.removeFramework(record.id);
    this.ledger.forgetHolder(record.id);
    if (record.listening) this.publisher.error(record.id, `framework removed: ${reason}`);
    const forgotten = this.registry.retire(record, reason, now);
    this.registrySink.frameworkChanged(record);
    if (forgotten !== undefined) this.registrySink.frameworkForgotten(forgotten);
    this.trigger.trigger();
    this.log.warn({ frameworkId: record.id, reason, killed }, `framework ${record.id} (${record.info.name}) removed: ${reason}; killed ${killed} tasks`);
  }

  private resume(record: FrameworkRecord, info: FrameworkInfo, connection: string | undefined, now: number): void {
    const from = record.phase;
    this.clearFailover(record);
    // Offers made to the earlier session are void: the scheduler may not know them.
    this.offers.rescindFramework(record.id, 'framework re-subscribed');
    if (from === 'recovered') this.rebook(record, info);
    else this.applyInfo(record, info);
    record.phase = 'subscribed';
    record.connection = connection;
    record.listening = false;
    record.missedHeartbeats = 0;
    record.reregisteredTime = now;
    record.unregisteredTime = undefined;
    record.persisted = true;
    this.allocator.deactivateFramework(record.id);
    this.registrySink.frameworkChanged(record);
    this.log.info({ frameworkId: record.id, name: info.name, from }, `framework ${record.id} (${info.name}) re-subscribed (was ${from})`);
  }

  private applyInfo(record: FrameworkRecord, info: FrameworkInfo): void {
    const before = new Set(record.roles);
    record.info = { ...info, id: record.id };
    const after = new Set(record.roles);
    if (before.size !== after.size || [...before].some((role) => !after.has(role))) {
      this.allocator.updateFramework(record.id, { roles: record.roles });
      for (const role of record.suppressedRoles) if (!after.has(role)) record.suppressedRoles.delete(role);
      this.offers.rescindFramework(record.id, 'framework left the role', (offer) => !after.has(offer.role));
    }
  }

  /**
   * A recovered framework's tasks were booked to the role '*' (its real roles were unknown). Now
   * that it said who it is, they are booked again under its roles and capabilities; all of this
   * runs without yielding, so no allocation cycle sees the resources free in between.
   */
  private rebook(record: FrameworkRecord, info: FrameworkInfo): void {
    record.info = { ...info, id: record.id };
    this.allocator.removeFramework(record.id);
    this.ledger.forgetHolder(record.id);
    this.allocator.addFramework(record.id, { roles: record.roles, capabilities: record.info.capabilities });
    this.allocator.deactivateFramework(record.id);
    for (const task of this.tasks.tasksOfFramework(record.id)) this.ledger.track(task, record.id);
  }

  private startFailover(record: FrameworkRecord, since = this.clock.now()): void {
    this.clearFailover(record);
    const deadline = since + record.info.failoverTimeoutSeconds * 1000;
    const arm = (): void => {
      const left = deadline - this.clock.now();
      if (left <= 0) {
        record.failoverTimer = undefined;
        this.remove(record, `failover timeout of ${record.info.failoverTimeoutSeconds} s expired`);
        return;
      }
      record.failoverTimer = this.clock.setTimeout(arm, Math.min(left, MAX_TIMER_MS));
      record.failoverTimer.unref?.();
    };
    arm();
  }

  private clearFailover(record: FrameworkRecord): void {
    const timer: TimerHandle | undefined = record.failoverTimer;
    if (timer) this.clock.clearTimeout(timer);
    record.failoverTimer = undefined;
  }
}

/** Roles the allocator would refuse, refused before anything changes. */
function checkRoles(call: string, info: FrameworkInfo): void {
  const bad = info.roles.filter((role) => !isValidRole(role));
  if (bad.length > 0) throw new InputError(`${call} refused: invalid roles ${bad.join(', ')}`, bad.map((role) => `invalid role '${role}'`));
}
