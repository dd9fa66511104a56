import { Module, type DynamicModule } from '@nestjs/common';
import { systemClock, type Clock } from '@pando/common';
import { AgentGateway } from './agents/agent-gateway.service';
import { AgentLivenessService } from './agents/agent-liveness.service';
import { AgentMessenger } from './agents/agent-messenger.service';
import { AgentRegistrationService } from './agents/agent-registration.service';
import { AgentRegistry } from './agents/agent-registry.service';
import { ExecutorMessageRelay } from './frameworks/executor-message.relay';
import { FrameworkEventsPublisher } from './frameworks/framework-events.publisher';
import { FrameworkHeartbeats } from './frameworks/framework-heartbeat.service';
import { FrameworkLifecycle } from './frameworks/framework-lifecycle.service';
import { FrameworkRegistry } from './frameworks/framework-registry.service';
import { ReconciliationService } from './frameworks/reconciliation.service';
import { SchedulerGateway } from './frameworks/scheduler-gateway.service';
import { TaskCalls } from './frameworks/task-calls.service';
import { UpdateForwarder } from './frameworks/update-forwarder.service';
import { HealthController } from './http/health.controller';
import { RolesController } from './http/roles.controller';
import { StateController } from './http/state.controller';
import { MasterIdentity } from './identity/master-identity';
import type { MasterOptions } from './master.options';
import { AGENT_OBSERVER, CLOCK, MASTER_OPTIONS_TOKEN, STATUS_UPDATE_SINK, TASK_STATE_POLICY } from './master.tokens';
import { NatsCloser, natsConnectionProvider } from './nats/nats.provider';
import { AcceptService } from './offers/accept.service';
import { AgentAllocationObserver } from './offers/agent-allocation.observer';
import { AllocationTrigger } from './offers/allocation-trigger';
import { allocatorProvider } from './offers/allocator.provider';
import { OfferBook } from './offers/offer-book.service';
import { OfferService } from './offers/offer.service';
import { TaskLedger } from './offers/task-ledger.service';
import { OperatorGateway } from './operator/operator-gateway.service';
import { TaskLauncher } from './operator/task-launcher.service';
import { FrameworksStateView } from './state/frameworks-state.view';
import { MasterStateView } from './state/master-state.view';
import { RolesStateView } from './state/roles-state.view';
import { StatusUpdateRouter } from './tasks/status-update.router';
import { TaskTable } from './tasks/task-table.service';

export interface MasterModuleSettings {
  options: MasterOptions;
  clock?: Clock;
}

/**
 * The master: agents (registry, liveness, gateway), tasks (table, status router), frameworks
 * (scheduler calls and events, heartbeats, failover, reconciliation), offers (allocator, loop,
 * accept), the operator entry point and HTTP. Frameworks meet the agents layer through its seams:
 * STATUS_UPDATE_SINK (UpdateForwarder), AGENT_OBSERVER and TASK_STATE_POLICY
 * (AgentAllocationObserver). Leader election comes through MasterIdentity.lead()/standBy().
 */
@Module({})
export class MasterModule {
  static forRoot({ options, clock = systemClock }: MasterModuleSettings): DynamicModule {
    return {
      module: MasterModule,
      controllers: [HealthController, StateController, RolesController],
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
        allocatorProvider,
        AllocationTrigger,
        OfferBook,
        OfferService,
        TaskLedger,
        AcceptService,
        AgentAllocationObserver,
        FrameworkRegistry,
        FrameworkEventsPublisher,
        UpdateForwarder,
        FrameworkLifecycle,
        FrameworkHeartbeats,
        ReconciliationService,
        TaskCalls,
        SchedulerGateway,
        ExecutorMessageRelay,
        { provide: STATUS_UPDATE_SINK, useExisting: UpdateForwarder },
        { provide: AGENT_OBSERVER, useExisting: AgentAllocationObserver },
        { provide: TASK_STATE_POLICY, useExisting: AgentAllocationObserver },
        AgentRegistry,
        AgentMessenger,
        StatusUpdateRouter,
        AgentRegistrationService,
        AgentLivenessService,
        AgentGateway,
        TaskLauncher,
        OperatorGateway,
        FrameworksStateView,
        RolesStateView,
        MasterStateView,
      ],
    };
  }
}
