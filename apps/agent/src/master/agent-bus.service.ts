import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { Inject, Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { connectNats, createLogger, describeError, TickBatcher, UnavailableError, type Logger } from '@pando/common';
import {
  encodeBatches,
  MAX_BATCH_ITEMS,
  publish,
  request,
  serveMessages,
  Subjects,
  type AgentStatus,
  type ExecutorToFrameworkMessage,
  type StatusUpdateMessage,
} from '@pando/protocol';
import { AGENT_CONFIG, type AgentConfig } from '../agent.options';
import type { StatusPublisher } from '../status/status-update-manager';
import type { ExecutorMessagePublisher } from '../tasks/task-manager.service';

const CLOSE_TIMEOUT_MS = 2000;

/**
 * The agent's one NATS connection, behind a small adapter: the services above it speak in
 * messages and never hold the connection themselves. Status updates published in one turn of the
 * event loop go out together, one message per agent identity (tasks launched together report
 * RUNNING together); the status update manager's ordering and retries are untouched by this.
 */
@Injectable()
export class AgentBus implements StatusPublisher, ExecutorMessagePublisher {
  private nc?: NatsConnection;
  private readonly log: Logger = createLogger('agent.nats');
  private readonly statuses = new TickBatcher<AgentStatus>((agentId, statuses) => this.sendStatuses(agentId, statuses), this.log);

  constructor(@Inject(AGENT_CONFIG) private readonly config: AgentConfig) {}

  /** Connects (waiting for a server as long as it takes: the agent is useless without one). */
  async connect(): Promise<void> {
    if (this.nc) return;
    this.log.info({ servers: this.config.nats.servers }, 'connecting to NATS');
    this.nc = await connectNats(this.config.nats, `pando-agent ${this.config.hostname}`, this.log);
    this.log.info({ server: this.nc.getServer() }, 'connected to NATS');
  }

  get connected(): boolean {
    return this.nc !== undefined && !this.nc.isClosed();
  }

  publishStatus(message: StatusUpdateMessage): void {
    this.statuses.add(message.agentId, message.status);
  }

  private sendStatuses(agentId: string, statuses: AgentStatus[]): void {
    if (!this.nc || this.nc.isClosed()) return;
    try {
      for (const data of encodeBatches({ agentId }, statuses, { one: 'status', many: 'statuses', maxItems: MAX_BATCH_ITEMS })) this.nc.publish(Subjects.agentStatus, data);
    } catch (err) {
      // The status update manager re-sends every unacknowledged update.
      this.log.debug({ updates: statuses.length, err: describeError(err) }, 'could not publish status updates; they will be re-sent');
    }
  }

  publishExecutorMessage(message: ExecutorToFrameworkMessage): void {
    this.publish(Subjects.executorMessage, message);
  }

  publish(subject: string, message: unknown): void {
    if (!this.nc || this.nc.isClosed()) return;
    publish(this.nc, subject, message);
  }

  async request<S extends z.ZodType>(subject: string, message: unknown, schema: S, what: string, timeoutMs: number): Promise<z.infer<S>> {
    if (!this.nc || this.nc.isClosed()) throw new UnavailableError(`no answer to ${what}: not connected to NATS`);
    return request(this.nc, subject, message, schema, what, timeoutMs);
  }

  /** Validated, logged-and-dropped-when-malformed subscription (see serveMessages). */
  subscribe<S extends z.ZodType>(subject: string, schema: S, what: string, handler: (message: z.infer<S>, msg: Msg) => void | Promise<void>, log: Logger): Subscription {
    if (!this.nc) throw new UnavailableError('not connected to NATS');
    return serveMessages(this.nc, subject, schema, what, handler, log);
  }

  /** Flushes what is buffered and closes; bounded so that shutdown never hangs on NATS. */
  async close(): Promise<void> {
    const nc = this.nc;
    if (!nc || nc.isClosed()) return;
    // What is batched goes out before the drain (unacknowledged updates are re-sent anyway).
    this.statuses.flush();
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref());
    try {
      await Promise.race([nc.drain(), timeout]);
    } catch (err) {
      this.log.debug({ err: describeError(err) }, 'drain failed; closing');
    }
    if (!nc.isClosed()) await nc.close();
  }
}
