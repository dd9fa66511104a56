import { Module, type DynamicModule } from '@nestjs/common';
import { systemClock, type Clock } from '@pando/common';
import { AgentRunner } from './agent-runner.service';
import { AGENT_CONFIG, type AgentConfig } from './agent.options';
import { AGENT_EXIT, CLOCK, type AgentExit } from './agent.tokens';
import { AGENT_RESOURCES, AGENT_VERSION, readAgentVersion } from './agent.version';
import { AgentCheckpoint, restoreSession } from './checkpoint/agent-checkpoint';
import { TaskCheckpointer } from './checkpoint/task-checkpointer.service';
import { ExecutorCatalog } from './executors/executor-catalog';
import { HealthCheckService } from './health/health-check.service';
import { HealthController } from './http/health.controller';
import { StateController } from './http/state.controller';
import { AgentBus } from './master/agent-bus.service';
import { AgentInbox } from './master/agent-inbox.service';
import { AgentSession } from './master/agent-session';
import { MasterLink } from './master/master-link.service';
import { AgentRecovery } from './recovery/agent-recovery.service';
import { detectResources } from './resources/resource-detector';
import { STATUS_PUBLISHER, StatusUpdateManager } from './status/status-update-manager';
import { EXECUTOR_MESSAGE_PUBLISHER, TaskManager } from './tasks/task-manager.service';

export interface AgentModuleDeps {
  /** Called on a fatal condition; main.ts stops the agent and exits with `code`. */
  exit: AgentExit;
  clock?: Clock;
}

@Module({})
export class AgentModule {
  static forRoot(config: AgentConfig, deps: AgentModuleDeps): DynamicModule {
    return {
      module: AgentModule,
      controllers: [HealthController, StateController],
      providers: [
        { provide: AGENT_CONFIG, useValue: config },
        { provide: CLOCK, useValue: deps.clock ?? systemClock },
        { provide: AGENT_EXIT, useValue: deps.exit },
        { provide: AGENT_VERSION, useValue: readAgentVersion() },
        {
          provide: AGENT_RESOURCES,
          useFactory: (c: AgentConfig) => detectResources(c.workDir, c.resources, c.memReserveMb),
          inject: [AGENT_CONFIG],
        },
        { provide: STATUS_PUBLISHER, useExisting: AgentBus },
        { provide: EXECUTOR_MESSAGE_PUBLISHER, useExisting: AgentBus },
        // Restored before anything else reads it, so executors (recovery) see the agent's id.
        { provide: AgentSession, useFactory: restoreSession, inject: [AgentCheckpoint] },
        AgentBus,
        AgentCheckpoint,
        ExecutorCatalog,
        StatusUpdateManager,
        TaskCheckpointer,
        HealthCheckService,
        TaskManager,
        AgentRecovery,
        AgentInbox,
        MasterLink,
        AgentRunner,
      ],
    };
  }
}
