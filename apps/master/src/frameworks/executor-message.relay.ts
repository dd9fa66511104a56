import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { ConflictError, createLogger, NotFoundError, UnavailableError } from '@pando/common';
import { executorToFrameworkMessageSchema, serveMessages, Subjects, type ExecutorToFrameworkMessage } from '@pando/protocol';
import { AgentRegistry } from '../agents/agent-registry.service';
import { NATS_CONNECTION } from '../master.tokens';
import { TaskTable } from '../tasks/task-table.service';
import { FrameworkEventsPublisher } from './framework-events.publisher';
import { FrameworkRegistry } from './framework-registry.service';

/**
 * task -> framework: serves Subjects.executorMessage and passes each message an executor sent
 * on as a MESSAGE event to the task's framework. Best effort, as Mesos's framework messages: a
 * message that cannot be delivered (unknown agent or task, a task of another agent or framework,
 * a framework that is not connected) is dropped with a log line naming why, never retried.
 * A task that just ended may still speak: its last words arrive after its terminal update.
 * Served by the leader only (Leadership starts it).
 */
@Injectable()
export class ExecutorMessageRelay implements OnModuleDestroy {
  private readonly log = createLogger('executor-messages');
  private subscription?: Subscription;
  private relayed = 0;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly agents: AgentRegistry,
    private readonly tasks: TaskTable,
    private readonly frameworks: FrameworkRegistry,
    private readonly publisher: FrameworkEventsPublisher,
  ) {}

  /** Messages passed on so far (metrics, tests). */
  get count(): number {
    return this.relayed;
  }

  /** This master leads: serve executor messages (a standby does not subscribe). */
  async startLeading(): Promise<void> {
    this.subscription = serveMessages(this.nc, Subjects.executorMessage, executorToFrameworkMessageSchema, 'executor message', (message) => this.relay(message), this.log);
    await this.nc.flush();
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  /** Publishes the MESSAGE event, or throws a typed error saying why the message is dropped. */
  relay(message: ExecutorToFrameworkMessage): void {
    const { agentId, frameworkId, taskId, data } = message;
    const why = `message from task '${taskId}' on agent ${agentId} dropped`;
    if (!this.agents.get(agentId)) throw new NotFoundError(`${why}: agent '${agentId}' is not known`);
    const task = this.tasks.get(taskId);
    if (!task) throw new NotFoundError(`${why}: task '${taskId}' is not known`);
    if (task.agentId !== agentId) throw new ConflictError(`${why}: the task runs on agent '${task.agentId}'`);
    if (task.frameworkId !== frameworkId) throw new ConflictError(`${why}: the task belongs to framework '${task.frameworkId}', not '${frameworkId}'`);
    const framework = this.frameworks.get(frameworkId);
    if (!framework?.active || !framework.listening) throw new UnavailableError(`${why}: framework '${frameworkId}' is not connected`);
    this.publisher.send(frameworkId, { type: 'MESSAGE', message: { agentId, taskId, data } });
    this.relayed++;
    this.log.debug({ frameworkId, agentId, taskId }, `message from task '${taskId}' sent to framework ${frameworkId}`);
  }
}
