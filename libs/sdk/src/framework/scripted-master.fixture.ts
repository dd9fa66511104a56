import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { createLogger, type Logger } from '@pando/common';
import {
  acknowledgementsOf,
  decode,
  encode,
  okReplySchema,
  publish,
  schedulerCallSchema,
  serveRequests,
  Subjects,
  type Acknowledgement,
  type SchedulerCallParsed,
  type SchedulerCallType,
  type SchedulerEvent,
} from '@pando/protocol';

/** An event without its epoch: the scripted master stamps its current one unless given. */
export type ScriptedEvent = SchedulerEvent extends infer E ? (E extends SchedulerEvent ? Omit<E, 'epoch'> & { epoch?: number } : never) : never;

export interface ScriptedMasterOptions {
  heartbeatIntervalSeconds?: number;
  epoch?: number;
  masterId?: string;
  /** Publish a SUBSCRIBED event after each SUBSCRIBE reply, as the real master does. Default true. */
  subscribedEvent?: boolean;
  /** Publish HEARTBEAT events every interval to each subscribed framework. Default true. */
  heartbeats?: boolean;
}

/**
 * A stand-in for the leading master, for the driver's specs only: it serves the scheduler call
 * subject on a real nats-server, records every call, answers SUBSCRIBE with an id, and publishes
 * whatever events a test scripts. `stop()` makes it vanish (no responders, no heartbeats) the way
 * a crashed master does; `start()` brings it back with its memory intact.
 */
export class ScriptedMaster {
  readonly calls: SchedulerCallParsed[] = [];
  /** Return an error to refuse a call with it (sent as {ok:false, error}). */
  refuse: (call: SchedulerCallParsed) => Error | undefined = () => undefined;
  /** Milliseconds to hold a call's reply (a busy master); 0 answers at once. */
  replyDelayMs: (call: SchedulerCallParsed) => number = () => 0;
  /** Runs in the SUBSCRIBE handler before the reply goes out (to publish ahead of it). */
  beforeSubscribeReply: (frameworkId: string) => void = () => undefined;
  epoch: number;
  readonly heartbeatIntervalSeconds: number;
  private readonly frameworks = new Set<string>();
  private serving: Subscription | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private readonly log: Logger;

  private constructor(
    readonly nc: NatsConnection,
    private readonly options: ScriptedMasterOptions,
  ) {
    this.epoch = options.epoch ?? 1;
    this.heartbeatIntervalSeconds = options.heartbeatIntervalSeconds ?? 15;
    this.log = createLogger('scripted-master');
    this.log.level = process.env.PANDO_LOG_LEVEL ?? 'silent';
  }

  static async create(url: string, options: ScriptedMasterOptions = {}): Promise<ScriptedMaster> {
    const master = new ScriptedMaster(await connect({ servers: url }), options);
    await master.start();
    return master;
  }

  /** Serves calls (again) and resumes heartbeats. */
  async start(): Promise<void> {
    this.serving ??= serveRequests(this.nc, Subjects.schedulerCall, schedulerCallSchema, 'scheduler call', (call) => this.answerLater(call), this.log);
    if (this.options.heartbeats !== false) {
      this.heartbeatTimer ??= setInterval(() => {
        for (const id of this.frameworks) this.publish(id, { type: 'HEARTBEAT' });
      }, this.heartbeatIntervalSeconds * 1000);
    }
    await this.nc.flush();
  }

  /** Vanishes like a crashed master: calls find no responder, heartbeats stop. */
  async stop(): Promise<void> {
    this.serving?.unsubscribe();
    this.serving = undefined;
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    await this.nc.flush();
  }

  async close(): Promise<void> {
    await this.stop();
    await this.nc.close();
  }

  callsOf<T extends SchedulerCallType>(type: T): Array<Extract<SchedulerCallParsed, { type: T }>> {
    return this.calls.filter((c): c is Extract<SchedulerCallParsed, { type: T }> => c.type === type);
  }

  /** Every acknowledgement received, whether it came alone or in a batch, in order. */
  acknowledgements(): Acknowledgement[] {
    return this.callsOf('ACKNOWLEDGE').flatMap((call) => acknowledgementsOf(call));
  }

  /** Publishes one event to a framework, stamped with the current epoch unless it has one. */
  publish(frameworkId: string, event: ScriptedEvent): void {
    publish(this.nc, Subjects.frameworkEvents(frameworkId), { epoch: this.epoch, ...event });
  }

  /** A HEARTBEAT sent as a request, the way the master checks that a framework is still there. */
  async heartbeatRequest(frameworkId: string, timeoutMs = 1000): Promise<unknown> {
    const reply = await this.nc.request(Subjects.frameworkEvents(frameworkId), encode({ type: 'HEARTBEAT', epoch: this.epoch }), { timeout: timeoutMs });
    return decode(okReplySchema, reply.data, 'heartbeat reply');
  }

  private answerLater(call: SchedulerCallParsed): unknown {
    const delay = this.replyDelayMs(call);
    return delay > 0 ? new Promise((resolve) => setTimeout(() => resolve(this.handle(call)), delay)) : this.handle(call);
  }

  private handle(call: SchedulerCallParsed): unknown {
    this.calls.push(call);
    const refusal = this.refuse(call);
    if (refusal) throw refusal;
    if (call.type === 'TEARDOWN') this.frameworks.delete(call.frameworkId);
    if (call.type !== 'SUBSCRIBE') return { ok: true };
    const frameworkId = call.frameworkId ?? call.subscribe.frameworkInfo.id ?? `fw-${this.nextId++}`;
    this.frameworks.add(frameworkId);
    this.beforeSubscribeReply(frameworkId);
    if (this.options.subscribedEvent !== false) {
      const subscribed = { frameworkId, heartbeatIntervalSeconds: this.heartbeatIntervalSeconds, masterId: this.masterId };
      // After the reply, as the real master does: the handler's return value is sent first.
      setImmediate(() => this.publish(frameworkId, { type: 'SUBSCRIBED', subscribed }));
    }
    return { ok: true, frameworkId, heartbeatIntervalSeconds: this.heartbeatIntervalSeconds, epoch: this.epoch, masterId: this.masterId };
  }

  private get masterId(): string {
    return this.options.masterId ?? 'scripted-master';
  }
}
