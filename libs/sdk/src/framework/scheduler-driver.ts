import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  ConflictError,
  createLogger,
  describeError,
  systemClock,
  TickBatcher,
  UnavailableError,
  type Clock,
  type Logger,
  type TimerHandle,
} from '@pando/common';
import {
  encode,
  frameworkInfoSchema,
  MAX_SCHEDULER_BATCH,
  NO_RESPONDERS,
  request,
  schedulerCallReplySchema,
  schedulerCallSchema,
  schedulerEventSchema,
  serveMessages,
  Subjects,
  validate,
  type Acknowledgement,
  type FrameworkInfo,
  type FrameworkInfoInput,
  type SchedulerCall,
  type SchedulerEvent,
} from '@pando/protocol';
import { dispatchEvent, type DispatchContext } from './event-dispatcher';
import { MasterWatchdog } from './master-watchdog';
import { ReconnectBackoff, type ReconnectBackoffOptions } from './reconnect-backoff';
import * as calls from './scheduler-calls';
import type { CallReply } from './scheduler-calls';
import { SchedulerDriverCalls } from './scheduler-driver-calls';
import type { Scheduler, SubscribedInfo } from './scheduler.interface';
import { SerialEventQueue } from './serial-event-queue';

/** Used until a SUBSCRIBE reply names the master's heartbeat interval (Mesos's default). */
export const DEFAULT_HEARTBEAT_INTERVAL_SECONDS = 15;
/** The master is declared lost after this many heartbeat intervals of silence. */
export const MISSED_HEARTBEATS_BEFORE_LOSS = 3;
/** Events kept while a SUBSCRIBE is in flight (see onEvent); more are dropped. */
const MAX_PENDING_EVENTS = 10_000;
const HEARTBEAT_ANSWER = encode({ ok: true });

export interface SchedulerDriverOptions {
  /** A connection made with connectNats (reconnecting forever); the driver never closes it. */
  nc: NatsConnection;
  /** With `id` set, the driver resumes that framework (failover) instead of registering a new one. */
  frameworkInfo: FrameworkInfoInput;
  scheduler: Scheduler;
  log?: Logger;
  clock?: Clock;
  /** Timeout of each call, SUBSCRIBE included. Default 5000 ms. */
  callTimeoutMs?: number;
  /** Re-subscription backoff; the default is 250 ms doubling to 5 s with jitter. */
  backoff?: ReconnectBackoffOptions;
}

/** Where a driver is in its life: created -> subscribing <-> subscribed -> stopped. */
export type SchedulerDriverState = 'created' | 'subscribing' | 'subscribed' | 'stopped';

/**
 * Connects a Scheduler to the leading master: subscribes the framework, delivers events to the
 * scheduler one at a time, acknowledges status updates the scheduler has processed, answers the
 * master's heartbeats, detects master loss and re-subscribes with the same framework id, and
 * sends the framework's calls. One driver per framework; create a new one after `stop`.
 *
 * Calls resolve to the master's reply and reject with a typed PandoError (InputError,
 * NotFoundError, ConflictError, NotSupportedError, UnavailableError). While the driver is not
 * subscribed, calls reject with UnavailableError at once; a call that finds no master also makes
 * the driver treat the master as lost.
 */
export class SchedulerDriver extends SchedulerDriverCalls {
  private stateValue: SchedulerDriverState = 'created';
  private info: FrameworkInfo;
  private epochValue = 0;
  private masterIdValue: string | undefined;
  private heartbeatIntervalSeconds = DEFAULT_HEARTBEAT_INTERVAL_SECONDS;
  private everSubscribed = false;
  /** The loop generation whose SUBSCRIBE is in flight: events arriving meanwhile are kept. */
  private inFlight: number | undefined;
  private pending: SchedulerEvent[] = [];
  private loopGeneration = 0;
  private events: { frameworkId: string; subscription: Subscription } | undefined;
  private sleeping: { handle: TimerHandle; wake: () => void } | undefined;
  private started: Promise<SubscribedInfo> | undefined;
  private startWaiter: { resolve(info: SubscribedInfo): void; reject(err: Error): void } | undefined;
  private readonly nc: NatsConnection;
  private readonly scheduler: Scheduler;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly callTimeoutMs: number;
  private readonly queue: SerialEventQueue;
  private readonly watchdog: MasterWatchdog;
  private readonly backoff: ReconnectBackoff;
  private readonly dispatch: DispatchContext;
  /** Acknowledgements of the updates processed in one turn of the event loop: one ACKNOWLEDGE call. */
  private readonly acks: TickBatcher<Acknowledgement>;

  /** Validates the framework info (InputError listing every problem); sends nothing yet. */
  constructor(options: SchedulerDriverOptions) {
    super();
    this.nc = options.nc;
    this.scheduler = options.scheduler;
    this.info = validate(frameworkInfoSchema, options.frameworkInfo, 'framework info');
    this.log = options.log ?? createLogger('scheduler-driver', { framework: this.info.name });
    this.clock = options.clock ?? systemClock;
    this.callTimeoutMs = options.callTimeoutMs ?? 5000;
    this.queue = new SerialEventQueue(this.log);
    this.watchdog = new MasterWatchdog(this.clock, () => this.masterLost('no event or heartbeat from the master'));
    this.backoff = new ReconnectBackoff(options.backoff);
    this.acks = new TickBatcher((_key, acks) => this.acknowledgeAll(acks), this.log);
    this.dispatch = { scheduler: this.scheduler, driver: this, log: this.log, acknowledge: (agentId, taskId, uuid) => this.acks.add('', { agentId, taskId, uuid }) };
  }

  /** The framework id: from frameworkInfo.id, or assigned by the master on the first SUBSCRIBE. */
  get frameworkId(): string | undefined {
    return this.info.id;
  }

  /** The framework info the driver (re)subscribes with, id included once known. */
  get frameworkInfo(): FrameworkInfo {
    return { ...this.info };
  }

  get state(): SchedulerDriverState {
    return this.stateValue;
  }

  /** The highest master epoch seen; events from older epochs are ignored. */
  get epoch(): number {
    return this.epochValue;
  }

  get masterId(): string | undefined {
    return this.masterIdValue;
  }

  /**
   * Subscribes the framework. Call once; later calls return the same promise. Resolves after the
   * first successful SUBSCRIBE (the `subscribed` callback is then queued and the implicit
   * reconciliation follows it). While no master answers it keeps retrying with backoff; it
   * rejects when the master refuses the framework (the `error` callback is called too) or when
   * `stop` comes first.
   */
  start(): Promise<SubscribedInfo> {
    if (this.started) return this.started;
    if (this.stateValue === 'stopped') return Promise.reject(new ConflictError(`scheduler driver of '${this.info.name}' was stopped: create a new one`));
    this.started = new Promise<SubscribedInfo>((resolve, reject) => {
      this.startWaiter = { resolve, reject };
    });
    // A caller may rely on callbacks alone and never await start(): no unhandled rejection then.
    this.started.catch(() => undefined);
    this.stateValue = 'subscribing';
    // On failover the id is known: listen first, so that nothing the master sends is missed
    // (NATS keeps one connection's order, so the server has the subscription before SUBSCRIBE).
    if (this.info.id) void this.listen(this.info.id);
    void this.subscribeLoop();
    return this.started;
  }

  /**
   * Stops the driver; no callback is made after it (one already running finishes). Idempotent.
   * `failover: true` leaves the framework registered: its tasks keep running and another driver
   * with the same framework id may take over within failoverTimeoutSeconds (the master notices
   * the unanswered heartbeats). `failover: false` tears the framework down: the master kills
   * all its tasks and forgets it. Rejects only when TEARDOWN fails (the driver is stopped anyway).
   */
  async stop(options: { failover: boolean }): Promise<void> {
    if (this.stateValue === 'stopped') return;
    if (options.failover || !this.info.id) {
      this.closeLocally(new UnavailableError(`scheduler driver of '${this.info.name}' stopped before subscribing`));
      return;
    }
    await this.teardown();
  }

  // ---- calls ----------------------------------------------------------------------------------

  /** UPDATE_FRAMEWORK: new info (roles, name, failover timeout, ...) used by later re-subscriptions too. */
  async updateFramework(frameworkInfo: FrameworkInfoInput): Promise<CallReply> {
    const parsed = validate(frameworkInfoSchema, frameworkInfo, 'framework info');
    const reply = await this.call('UPDATE_FRAMEWORK', (id) => calls.updateFrameworkCall(id, parsed));
    this.info = { ...parsed, id: this.info.id };
    return reply;
  }

  /** TEARDOWN: removes the framework and kills its tasks; the driver stops first. */
  async teardown(): Promise<CallReply> {
    const frameworkId = this.info.id;
    if (!frameworkId) throw new ConflictError(`cannot tear down '${this.info.name}': it has no framework id yet`);
    this.closeLocally(new UnavailableError(`scheduler driver of '${this.info.name}' was torn down`));
    return this.send(calls.teardownCall(frameworkId));
  }

  /**
   * The automatic acknowledgements, batched: one call per MAX_SCHEDULER_BATCH updates instead of
   * one request (and one reply) per update. Not awaited by anyone: failures are logged here, and
   * an update whose acknowledgement failed is re-sent by the master.
   */
  private acknowledgeAll(acks: Acknowledgement[]): void {
    for (let i = 0; i < acks.length; i += MAX_SCHEDULER_BATCH) {
      const chunk = acks.slice(i, i + MAX_SCHEDULER_BATCH);
      this.call('ACKNOWLEDGE', (id) => calls.acknowledgeAllCall(id, chunk)).catch((err: unknown) => {
        const what = chunk.length === 1 ? `update ${chunk[0]!.uuid} of task '${chunk[0]!.taskId}'` : `${chunk.length} updates (tasks ${chunk.map((a) => a.taskId).join(', ')})`;
        this.log.warn({ tasks: chunk.length, err: describeError(err) }, `failed to acknowledge ${what}: ${describeError(err)}`);
      });
    }
  }

  /** Guarded call: only when subscribed; a call finding no master means the master is lost. */
  protected async call(type: SchedulerCall['type'], build: (frameworkId: string) => SchedulerCall): Promise<CallReply> {
    const frameworkId = this.info.id;
    if (this.stateValue !== 'subscribed' || !frameworkId) {
      throw new UnavailableError(`cannot send ${type} for '${this.info.name}': the driver is ${this.stateValue}, not subscribed`);
    }
    try {
      return await this.send(build(frameworkId));
    } catch (err) {
      const error = calls.typedError(err);
      // Only "no responders" proves the master gone. A late answer under load is not: treating
      // it as loss made a busy framework re-subscribe and reconcile everything, adding more load.
      // A master that is really gone also stops heartbeating, which the watchdog notices.
      if (error.code === 'UNAVAILABLE' && error.details.includes(NO_RESPONDERS)) this.masterLost(`${type} failed: ${error.message}`);
      throw error;
    }
  }

  /** Validates (every problem at once) and sends one call, turning refusals into typed errors. */
  private async send(body: SchedulerCall): Promise<CallReply> {
    const what = `${body.type} call`;
    const checked = validate(schedulerCallSchema, body, what);
    try {
      return (await request(this.nc, Subjects.schedulerCall, checked, schedulerCallReplySchema, what, this.callTimeoutMs)) as CallReply;
    } catch (err) {
      throw calls.typedError(err);
    }
  }

  // ---- subscription ---------------------------------------------------------------------------

  /** SUBSCRIBE until it succeeds, backing off while no master answers. One loop at a time. */
  private async subscribeLoop(): Promise<void> {
    const generation = ++this.loopGeneration;
    const current = (): boolean => this.stateValue === 'subscribing' && generation === this.loopGeneration;
    while (current()) {
      let reply: CallReply;
      this.inFlight = generation;
      try {
        reply = await this.send(calls.subscribeCall(this.info));
      } catch (err) {
        if (!current()) return;
        this.inFlight = undefined;
        this.pending = [];
        const error = calls.typedError(err);
        // Retrying on a closed connection would spin forever: nobody reopens it.
        if (this.nc.isClosed()) return this.fail(`the NATS connection of '${this.info.name}' is closed`, new UnavailableError('NATS connection closed'));
        if (error.code !== 'UNAVAILABLE') return this.fail(`the master refused framework '${this.info.name}': ${error.message}`, error);
        const delay = this.backoff.next();
        this.log.info({ delayMs: delay, err: error.message }, `SUBSCRIBE of '${this.info.name}' got no master; retrying in ${delay} ms`);
        await this.sleep(delay);
        continue;
      }
      if (!current()) return;
      this.inFlight = undefined;
      const frameworkId = reply.frameworkId ?? this.info.id;
      if (!frameworkId) return this.fail(`the master's SUBSCRIBE reply for '${this.info.name}' carries no framework id`);
      this.completeSubscription({ frameworkId, heartbeatIntervalSeconds: reply.heartbeatIntervalSeconds, masterId: reply.masterId, epoch: reply.epoch });
      return;
    }
  }

  /**
   * Called by the SUBSCRIBE reply and by the SUBSCRIBED event: whichever comes first completes the
   * subscription, the other is a no-op (same framework, no newer epoch). A SUBSCRIBED event from
   * a newer epoch while subscribed is a new master taking the framework over: a re-subscription.
   */
  private completeSubscription(s: { frameworkId: string; heartbeatIntervalSeconds?: number; masterId?: string; epoch?: number }): void {
    if (this.stateValue === 'stopped' || this.stateValue === 'created') return;
    const epoch = s.epoch ?? this.epochValue;
    if (this.stateValue === 'subscribed' && s.frameworkId === this.info.id && epoch <= this.epochValue) {
      this.watchdog.feed();
      return;
    }
    if (this.info.id && s.frameworkId !== this.info.id) {
      this.log.warn({ was: this.info.id, now: s.frameworkId }, `the master gave '${this.info.name}' a new framework id ${s.frameworkId}`);
    }
    this.epochValue = Math.max(this.epochValue, epoch);
    this.heartbeatIntervalSeconds = s.heartbeatIntervalSeconds ?? this.heartbeatIntervalSeconds;
    this.masterIdValue = s.masterId ?? this.masterIdValue;
    this.info = { ...this.info, id: s.frameworkId };
    this.stateValue = 'subscribed';
    this.loopGeneration++;
    this.wake();
    this.backoff.reset();
    const listening = this.listen(s.frameworkId);
    this.watchdog.arm(MISSED_HEARTBEATS_BEFORE_LOSS * this.heartbeatIntervalSeconds * 1000);
    const info: SubscribedInfo = { frameworkId: s.frameworkId, masterId: this.masterIdValue, epoch: this.epochValue, reconnected: this.everSubscribed };
    this.everSubscribed = true;
    this.log.info({ frameworkId: info.frameworkId, epoch: info.epoch, reconnected: info.reconnected }, `framework '${this.info.name}' subscribed`);
    this.queue.push(() => this.scheduler.subscribed?.(this, info));
    this.queue.push(() => this.implicitReconcile());
    const pending = this.pending;
    this.pending = [];
    for (const event of pending) if (event.epoch >= this.epochValue) this.deliver(event);
    const waiter = this.startWaiter;
    this.startWaiter = undefined;
    void listening.then(() => waiter?.resolve(info));
  }

  private implicitReconcile(): void {
    this.reconcile().catch((err: unknown) => this.log.warn({ err: describeError(err) }, `implicit reconciliation failed: ${describeError(err)}`));
  }

  /** Once per loss: `disconnected`, then re-subscribe with the same id. */
  private masterLost(reason: string): void {
    if (this.stateValue !== 'subscribed') return;
    this.log.warn({ reason }, `lost the master of '${this.info.name}' (${reason}); re-subscribing`);
    this.stateValue = 'subscribing';
    this.watchdog.disarm();
    this.queue.push(() => this.scheduler.disconnected?.(this));
    void this.subscribeLoop();
  }

  /** The master refused or removed the framework: stop, then tell the scheduler (last callback). */
  private fail(message: string, error: Error = new ConflictError(message)): void {
    if (this.stateValue === 'stopped') return;
    this.log.error({ err: message }, message);
    this.closeLocally(error);
    this.queue.push(() => this.scheduler.error?.(this, message));
  }

  /** Local shutdown: no more events, timers or retries. Pending callbacks are dropped. */
  private closeLocally(reason: Error): void {
    this.stateValue = 'stopped';
    this.loopGeneration++;
    this.watchdog.disarm();
    this.wake();
    this.events?.subscription.unsubscribe();
    this.events = undefined;
    this.pending = [];
    this.queue.clear();
    this.acks.clear();
    this.startWaiter?.reject(reason);
    this.startWaiter = undefined;
  }

  // ---- events ---------------------------------------------------------------------------------

  /**
   * (Re)subscribes to the framework's event subject; a no-op when already listening to it.
   * Resolves once the server has registered the subscription (a flush round trip): until then,
   * events published from another connection, such as the master's, may not reach us.
   */
  private listen(frameworkId: string): Promise<void> {
    if (this.events?.frameworkId === frameworkId) return Promise.resolve();
    this.events?.subscription.unsubscribe();
    const subject = Subjects.frameworkEvents(frameworkId);
    const subscription = serveMessages(this.nc, subject, schedulerEventSchema, 'scheduler event', (event, msg) => this.onEvent(event, msg), this.log);
    this.events = { frameworkId, subscription };
    return this.nc.flush().catch((err: unknown) => this.log.warn({ err: describeError(err) }, `flush after subscribing to ${subject} failed`));
  }

  /**
   * Every event passes here, in arrival order. Heartbeat requests are answered first, whatever
   * the state, because the master reads "no responders" as the framework being gone.
   * Events arriving while a SUBSCRIBE is in flight are kept: the master may publish before its
   * reply is processed here; they are delivered after `subscribed` if that SUBSCRIBE succeeds.
   */
  private onEvent(event: SchedulerEvent, msg: Msg): void {
    if (msg.reply) msg.respond(HEARTBEAT_ANSWER);
    if (this.stateValue === 'stopped' || this.stateValue === 'created') return;
    if (event.epoch < this.epochValue) {
      this.log.debug({ type: event.type, epoch: event.epoch, current: this.epochValue }, `ignored ${event.type} from an older master epoch`);
      return;
    }
    if (event.type === 'SUBSCRIBED') {
      this.completeSubscription({ ...event.subscribed, epoch: event.epoch });
      return;
    }
    if (event.type === 'ERROR') {
      this.fail(`the master removed framework '${this.info.name}': ${event.error.message}`);
      return;
    }
    if (this.stateValue !== 'subscribed') {
      if (this.inFlight === this.loopGeneration && this.pending.length < MAX_PENDING_EVENTS) this.pending.push(event);
      else this.log.debug({ type: event.type }, `dropped ${event.type}: not subscribed`);
      // A master is talking to us again: re-subscribe now rather than at the end of the backoff.
      this.wake();
      return;
    }
    this.deliver(event);
  }

  private deliver(event: SchedulerEvent): void {
    if (event.epoch > this.epochValue) {
      this.log.info({ epoch: event.epoch, was: this.epochValue }, `a new leading master (epoch ${event.epoch})`);
      this.epochValue = event.epoch;
    }
    this.watchdog.feed();
    if (event.type !== 'HEARTBEAT') this.queue.push(() => dispatchEvent(this.dispatch, event));
  }

  // ---- timers ---------------------------------------------------------------------------------

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.clock.setTimeout(() => this.wake(), ms);
      handle.unref?.();
      this.sleeping = { handle, wake: resolve };
    });
  }

  /** Ends the backoff sleep early (subscribed by event, a master heard from, or stopped). */
  private wake(): void {
    const sleeping = this.sleeping;
    if (!sleeping) return;
    this.sleeping = undefined;
    this.clock.clearTimeout(sleeping.handle);
    sleeping.wake();
  }
}
