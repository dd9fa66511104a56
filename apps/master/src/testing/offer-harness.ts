import type { FrameworkInfoInput, Offer, TaskInfo, TaskStatus } from '@pando/protocol';
import { frameworkInfoSchema, updatesOf, validate } from '@pando/protocol';
import { createAllocator, type Allocator } from '../allocation';
import { AgentMessenger } from '../agents/agent-messenger.service';
import { AgentRegistrationService } from '../agents/agent-registration.service';
import { AgentRegistry } from '../agents/agent-registry.service';
import { FrameworkEventsPublisher, type OutgoingEvent } from '../frameworks/framework-events.publisher';
import { FrameworkLifecycle } from '../frameworks/framework-lifecycle.service';
import { FrameworkRegistry } from '../frameworks/framework-registry.service';
import type { FrameworkRecord } from '../frameworks/framework.record';
import { ReconciliationService } from '../frameworks/reconciliation.service';
import { TaskCalls } from '../frameworks/task-calls.service';
import { UpdateForwarder } from '../frameworks/update-forwarder.service';
import { MasterIdentity } from '../identity/master-identity';
import type { MasterOptions } from '../master.options';
import { AcceptService } from '../offers/accept.service';
import { AgentAllocationObserver } from '../offers/agent-allocation.observer';
import { AllocationTrigger } from '../offers/allocation-trigger';
import { OfferBook } from '../offers/offer-book.service';
import { OfferService } from '../offers/offer.service';
import { TaskLedger } from '../offers/task-ledger.service';
import { StatusUpdateRouter } from '../tasks/status-update.router';
import { TaskTable } from '../tasks/task-table.service';
import { masterOptions, registerRequest, resourcesJson } from './factories';
import { FakeClock } from './fake-clock';
import { RecordingRegistry } from './recording-seams';

/** Events a framework was sent, in order. */
export class RecordingPublisher {
  readonly events: Array<{ frameworkId: string; event: OutgoingEvent }> = [];
  answering = true;

  send(frameworkId: string, event: OutgoingEvent): void {
    this.events.push({ frameworkId, event });
  }
  offers(frameworkId: string, offers: Offer[]): void {
    this.send(frameworkId, { type: 'OFFERS', offers });
  }
  rescind(frameworkId: string, offerId: string): void {
    this.send(frameworkId, { type: 'RESCIND', rescind: { offerId } });
  }
  update(frameworkId: string, status: TaskStatus): void {
    this.send(frameworkId, { type: 'UPDATE', update: { status } });
  }
  subscribed(frameworkId: string, heartbeatIntervalSeconds: number): void {
    this.send(frameworkId, { type: 'SUBSCRIBED', subscribed: { frameworkId, heartbeatIntervalSeconds, masterId: 'master-1' } });
  }
  error(frameworkId: string, message: string): void {
    this.send(frameworkId, { type: 'ERROR', error: { message } });
  }
  async heartbeat(): Promise<boolean> {
    return this.answering;
  }

  offersTo(frameworkId: string): Offer[] {
    return this.of(frameworkId, 'OFFERS').flatMap((e) => e.offers);
  }
  updatesTo(frameworkId: string): TaskStatus[] {
    return this.of(frameworkId, 'UPDATE').flatMap((e) => updatesOf({ ...e, epoch: 0 }));
  }
  rescindsTo(frameworkId: string): string[] {
    return this.of(frameworkId, 'RESCIND').map((e) => e.rescind.offerId);
  }
  of<T extends OutgoingEvent['type']>(frameworkId: string, type: T): Array<Extract<OutgoingEvent, { type: T }>> {
    return this.events.filter((e) => e.frameworkId === frameworkId && e.event.type === type).map((e) => e.event as Extract<OutgoingEvent, { type: T }>);
  }
}

/** What the master sent to agents. */
export class RecordingMessenger {
  readonly launches: Array<{ agentId: string; frameworkId: string; tasks: TaskInfo[] }> = [];
  readonly kills: Array<{ agentId: string; taskId: string; gracePeriodMs?: number }> = [];
  readonly acks: Array<{ agentId: string; taskId: string; uuid: string }> = [];

  /** Launch messages sent (one may carry several groups). */
  launchMessages = 0;

  launch(agentId: string, frameworkId: string, tasks: TaskInfo[]): void {
    this.launchGroups(agentId, frameworkId, [tasks]);
  }
  /** Recorded as one launch per group, as the agent handles them. */
  launchGroups(agentId: string, frameworkId: string, groups: TaskInfo[][]): void {
    this.launchMessages++;
    for (const tasks of groups) this.launches.push({ agentId, frameworkId, tasks });
  }
  kill(agentId: string, _frameworkId: string, taskId: string, gracePeriodMs?: number): void {
    this.kills.push({ agentId, taskId, gracePeriodMs });
  }
  readonly messages: Array<{ agentId: string; frameworkId: string; taskId: string; data: string }> = [];

  acknowledge(agentId: string, taskId: string, uuid: string): void {
    this.acks.push({ agentId, taskId, uuid });
  }
  frameworkMessage(agentId: string, frameworkId: string, taskId: string, data: string): void {
    this.messages.push({ agentId, frameworkId, taskId, data });
  }
  hello(): void {}
}

/**
 * The master's frameworks and offers layer wired from its real classes, with a fake clock and
 * recording stand-ins for NATS (events to frameworks, messages to agents). Allocation cycles run
 * when a spec calls `cycle()`.
 */
export function offerHarness(overrides: Partial<MasterOptions> = {}) {
  const clock = new FakeClock();
  const options = masterOptions({ frameworkHeartbeatIntervalMs: 1000, ...overrides });
  const identity = new MasterIdentity('master-1', 'master-host', clock.now());
  identity.lead(clock.now(), clock.now());
  const allocator: Allocator = createAllocator('drf', { clock });
  allocator.addFramework('operator', { roles: ['*'] });
  allocator.deactivateFramework('operator');
  const agents = new AgentRegistry();
  const tasks = new TaskTable(100);
  const trigger = new AllocationTrigger();
  const book = new OfferBook();
  const frameworks = new FrameworkRegistry(options);
  const publisher = new RecordingPublisher();
  const messenger = new RecordingMessenger();
  const asPublisher = publisher as unknown as FrameworkEventsPublisher;
  const asMessenger = messenger as unknown as AgentMessenger;
  const forwarder = new UpdateForwarder(frameworks, asPublisher, asMessenger, clock);
  const offers = new OfferService(allocator, book, frameworks, agents, asPublisher, trigger, options, clock);
  const ledger = new TaskLedger(allocator, trigger, tasks);
  const registry = new RecordingRegistry();
  const lifecycle = new FrameworkLifecycle(frameworks, allocator, offers, forwarder, ledger, tasks, asMessenger, asPublisher, trigger, options, clock, registry);
  const acceptor = new AcceptService(offers, agents, tasks, ledger, asMessenger, forwarder, clock, allocator);
  const calls = new TaskCalls(allocator, trigger, tasks, agents, asMessenger, forwarder, clock);
  const reconciliation = new ReconciliationService(tasks, agents, frameworks, forwarder, identity, options, clock);
  const observer = new AgentAllocationObserver(allocator, offers, ledger, tasks, frameworks, lifecycle, asMessenger, trigger, agents);
  const registration = new AgentRegistrationService(agents, tasks, forwarder, observer, identity, options, clock, observer, registry);
  // A real agent heartbeats right after it registers, and only then is it offered: do the same.
  const register = registration.register.bind(registration);
  registration.register = (request) => {
    const reply = register(request);
    if (reply.ok) observer.agentHeartbeat(reply.agentId);
    return reply;
  };
  const router = new StatusUpdateRouter(tasks, asMessenger, forwarder, clock);

  /** Registers an agent (cpus, mem) and returns its id. */
  const addAgent = (cpus = 4, mem = 1024, hostname = 'node'): string => {
    const reply = registration.register(registerRequest({ hostname, resources: resourcesJson(cpus, mem), executors: ['command'] }));
    if (!reply.ok) throw new Error('registration refused');
    return reply.agentId;
  };

  /** A framework subscribed from connection 'c1' and confirmed as listening. */
  const subscribe = (info: FrameworkInfoInput, connection = 'c1', id?: string): FrameworkRecord => {
    const record = lifecycle.subscribe(id, validate(frameworkInfoSchema, info, 'framework info'), connection);
    lifecycle.confirmListening(record);
    return record;
  };

  /** One allocation cycle, its allocations turned into offers. */
  const cycle = (): void => offers.offer(allocator.allocate(clock.now()));

  return { clock, options, identity, registry, allocator, agents, tasks, trigger, book, frameworks, publisher, messenger, forwarder, offers, ledger, lifecycle, acceptor, calls, reconciliation, observer, registration, router, addAgent, subscribe, cycle };
}

export type OfferHarness = ReturnType<typeof offerHarness>;
