import { Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { createLogger, systemClock, type Clock } from '@pando/common';
import { AgentGateway } from './agents/agent-gateway.service';
import { AgentLivenessService } from './agents/agent-liveness.service';
import { AgentMessenger } from './agents/agent-messenger.service';
import { AgentRegistrationService } from './agents/agent-registration.service';
import { AgentRegistry } from './agents/agent-registry.service';
import { MasterElection } from './election/master-election.service';
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
import { RedirectController } from './http/redirect.controller';
import { RolesController } from './http/roles.controller';
import { StandbyHttpMiddleware } from './http/standby.middleware';
import { StateController } from './http/state.controller';
import { MasterIdentity } from './identity/master-identity';
import { Leadership } from './leadership/leadership.service';
import { RecoveryGate } from './leadership/recovery-gate.service';
import type { MasterOptions } from './master.options';
import {
  AGENT_OBSERVER,
  CLOCK,
  LEASE_CLOCK,
  LEASE_IN_WORKER,
  MASTER_EXIT,
  MASTER_OPTIONS_TOKEN,
  REGISTRY_SINK,
  STATUS_UPDATE_SINK,
  TASK_STATE_POLICY,
  type MasterExit,
} from './master.tokens';
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
import { MasterRegistry } from './registry/master-registry.service';
import { RegistryBucket } from './registry/registry-bucket.service';
import { FrameworksStateView } from './state/frameworks-state.view';
import { MasterStateView } from './state/master-state.view';
import { RolesStateView } from './state/roles-state.view';
import { StatusUpdateRouter } from './tasks/status-update.router';
import { TaskTable } from './tasks/task-table.service';

export interface MasterModuleSettings {
  options: MasterOptions;
  clock?: Clock;
  /** The lease's clock: real time by default, also when `clock` is a fake one (specs). */
  leaseClock?: Clock;
  /** How the process ends when it must stop leading; default: log and process.exit(code). */
  exit?: MasterExit;
  /**
   * Run the lease in a worker thread (main.ts does): renewals then do not wait for a busy main
   * thread. Default false, for in-process specs (a worker needs the built JavaScript).
   */
  leaseInWorker?: boolean;
}

const exitLog = createLogger('master');

/** Crash-only: a master that must stop leading exits; its supervisor restarts it as a standby. */
const processExit: MasterExit = (code, reason) => {
  exitLog.fatal({ code, reason }, `exiting: ${reason}`);
  process.exit(code);
};

/**
 * The master: agents (registry, liveness, gateway), tasks (table, status router), frameworks
 * (scheduler calls and events, heartbeats, failover, reconciliation), offers (allocator, loop,
 * accept), the operator entry point and HTTP. Frameworks meet the agents layer through its seams:
 * STATUS_UPDATE_SINK (UpdateForwarder), AGENT_OBSERVER and TASK_STATE_POLICY
 * (AgentAllocationObserver). Every master starts as a standby: MasterElection campaigns for
 * the leader lease once HTTP listens, and Leadership starts the leader's work when it wins (NATS
 * subjects are served by the leader only); REGISTRY_SINK (MasterRegistry) keeps the registry in KV.
 * A standby's HTTP goes to the leader (StandbyHttpMiddleware), except /health.
 */
@Module({})
export class MasterModule implements NestModule {
  static forRoot({ options, clock = systemClock, leaseClock = systemClock, exit = processExit, leaseInWorker = false }: MasterModuleSettings): DynamicModule {
    return {
      module: MasterModule,
      controllers: [HealthController, StateController, RolesController, RedirectController],
      providers: [
        { provide: MASTER_OPTIONS_TOKEN, useValue: options },
        { provide: CLOCK, useValue: clock },
        { provide: LEASE_CLOCK, useValue: leaseClock },
        { provide: MASTER_EXIT, useValue: exit },
        { provide: LEASE_IN_WORKER, useValue: leaseInWorker },
        {
          provide: MasterIdentity,
          useFactory: () => new MasterIdentity(options.masterId, options.hostname, clock.now(), options.advertiseHost),
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
        RegistryBucket,
        MasterRegistry,
        { provide: REGISTRY_SINK, useExisting: MasterRegistry },
        RecoveryGate,
        Leadership,
        MasterElection,
        StandbyHttpMiddleware,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(StandbyHttpMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
