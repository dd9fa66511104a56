import { Injectable } from '@nestjs/common';
import { createLogger, type Logger } from '@pando/common';
import { TaskCheckpointer } from './checkpoint/task-checkpointer.service';
import { ExecutorCatalog } from './executors/executor-catalog';
import { HealthCheckService } from './health/health-check.service';
import { AgentBus } from './master/agent-bus.service';
import { AgentInbox } from './master/agent-inbox.service';
import { MasterLink } from './master/master-link.service';
import { AgentRecovery } from './recovery/agent-recovery.service';
import { StatusUpdateManager } from './status/status-update-manager';

/** Starts and stops the agent's moving parts in the right order. */
@Injectable()
export class AgentRunner {
  private readonly log: Logger = createLogger('agent');

  constructor(
    private readonly bus: AgentBus,
    private readonly inbox: AgentInbox,
    private readonly masterLink: MasterLink,
    private readonly statusUpdates: StatusUpdateManager,
    private readonly executors: ExecutorCatalog,
    private readonly recovery: AgentRecovery,
    private readonly checkpointer: TaskCheckpointer,
    private readonly health: HealthCheckService,
  ) {}

  /**
   * Recovers the checkpointed tasks (before any master is involved, so what ended while the
   * agent was away is known before it registers), then connects to NATS (waiting for it),
   * listens to the master, and registers.
   */
  async start(httpPort: number): Promise<void> {
    await this.recovery.recover();
    await this.bus.connect();
    this.inbox.start();
    this.masterLink.start(httpPort);
  }

  /** Stops talking to the master; running tasks are left alone (own process groups). */
  async stop(): Promise<void> {
    this.masterLink.stop();
    this.inbox.stop();
    this.statusUpdates.stop();
    this.health.stopAll();
    await this.executors.shutdown();
    // Whatever changed last is on disk before the process ends.
    await this.checkpointer.stop();
    await this.bus.close();
    this.log.debug('NATS closed');
  }
}
