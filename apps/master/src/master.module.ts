import { Module, type DynamicModule } from '@nestjs/common';
import { systemClock, type Clock } from '@pando/common';
import { AgentGateway } from './agents/agent-gateway.service';
import { AgentLivenessService } from './agents/agent-liveness.service';
import { AgentMessenger } from './agents/agent-messenger.service';
import { NoAgentObserver } from './agents/agent.observer';
import { AgentRegistrationService } from './agents/agent-registration.service';
import { AgentRegistry } from './agents/agent-registry.service';
import { HealthController } from './http/health.controller';
import { StateController } from './http/state.controller';
import { MasterIdentity } from './identity/master-identity';
import type { MasterOptions } from './master.options';
import { AGENT_OBSERVER, CLOCK, MASTER_OPTIONS_TOKEN, STATUS_UPDATE_SINK } from './master.tokens';
import { NatsCloser, natsConnectionProvider } from './nats/nats.provider';
import { OperatorGateway } from './operator/operator-gateway.service';
import { TaskLauncher } from './operator/task-launcher.service';
import { MasterStateView } from './state/master-state.view';
import { StatusUpdateRouter } from './tasks/status-update.router';
import { RecordOnlyStatusSink } from './tasks/status-update.sink';
import { TaskTable } from './tasks/task-table.service';

export interface MasterModuleSettings {
  options: MasterOptions;
  clock?: Clock;
}

/**
 * The master: agents (registry, liveness, gateway), tasks (table, status router), the operator
 * entry point and HTTP. Frameworks and offers plug in next through STATUS_UPDATE_SINK,
 * AGENT_OBSERVER and the registry/table read APIs; leader election through
 * MasterIdentity.lead()/standBy().
 */
@Module({})
export class MasterModule {
  static forRoot({ options, clock = systemClock }: MasterModuleSettings): DynamicModule {
    return {
      module: MasterModule,
      controllers: [HealthController, StateController],
      providers: [
        { provide: MASTER_OPTIONS_TOKEN, useValue: options },
        { provide: CLOCK, useValue: clock },
        {
          provide: MasterIdentity,
          // Until leader election exists, a master leads from its start, epoch = start time.
          useFactory: () => {
            const identity = new MasterIdentity(options.masterId, options.hostname, clock.now());
            identity.lead(clock.now(), clock.now());
            return identity;
          },
        },
        natsConnectionProvider,
        NatsCloser,
        { provide: TaskTable, useFactory: () => new TaskTable(options.completedTasks) },
        { provide: STATUS_UPDATE_SINK, useClass: RecordOnlyStatusSink },
        { provide: AGENT_OBSERVER, useClass: NoAgentObserver },
        AgentRegistry,
        AgentMessenger,
        StatusUpdateRouter,
        AgentRegistrationService,
        AgentLivenessService,
        AgentGateway,
        TaskLauncher,
        OperatorGateway,
        MasterStateView,
      ],
    };
  }
}
