import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createLogger, type Clock } from '@pando/common';
import type { Offer, TaskStatus } from '@pando/protocol';
import { startNatsServer, waitFor, type RunningNats } from '@pando/testing';
import type { Scheduler, SubscribedInfo } from './scheduler.interface';
import { SchedulerDriver } from './scheduler-driver';
import { ScriptedMaster, type ScriptedMasterOptions } from './scripted-master.fixture';

/** Shared by the driver's specs: a real nats-server per file, scripted masters, recording schedulers. */

export const log = createLogger('scheduler-driver-spec');
log.level = process.env.PANDO_LOG_LEVEL ?? 'silent';

/** Polls quickly: these specs run on real but short timings. */
export const until = <T>(probe: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> => waitFor(probe, what, timeoutMs, 10);
export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Recorded {
  trace: string[];
  subscribed: SubscribedInfo[];
  offers: Offer[][];
  updates: TaskStatus[];
  disconnected: number;
  errors: string[];
}

export function recordingScheduler(overrides: Partial<Scheduler> = {}): { scheduler: Scheduler; rec: Recorded } {
  const rec: Recorded = { trace: [], subscribed: [], offers: [], updates: [], disconnected: 0, errors: [] };
  const scheduler: Scheduler = {
    subscribed: (_d, info) => {
      rec.trace.push(`subscribed:${info.reconnected}`);
      rec.subscribed.push(info);
    },
    offers: (_d, offers) => {
      rec.trace.push(`offers:${offers.map((o) => o.id).join(',')}`);
      rec.offers.push(offers);
    },
    update: (_d, status) => {
      rec.trace.push(`update:${status.taskId}:${status.state}`);
      rec.updates.push(status);
    },
    disconnected: () => {
      rec.trace.push('disconnected');
      rec.disconnected++;
    },
    error: (_d, message) => {
      rec.trace.push('error');
      rec.errors.push(message);
    },
    ...overrides,
  };
  return { scheduler, rec };
}

export function anOffer(id: string, frameworkId: string): Offer {
  return {
    id,
    frameworkId,
    agentId: 'agent-1',
    hostname: 'node-1',
    resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 2 } }],
    attributes: {},
    executors: ['command'],
    allocationInfo: { role: '*' },
  };
}

export function aStatus(taskId: string, frameworkId: string, uuid?: string): TaskStatus {
  return { taskId, frameworkId, agentId: 'agent-1', state: 'RUNNING', timestamp: Date.now(), source: 'SOURCE_AGENT', ...(uuid ? { uuid } : {}) };
}

export interface DriverHarness {
  scriptedMaster(options?: ScriptedMasterOptions): Promise<ScriptedMaster>;
  driverFor(scheduler: Scheduler, extra?: { id?: string; clock?: Clock }): Promise<SchedulerDriver>;
}

/** Registers the suite's hooks: one nats-server for the file; masters, drivers and connections cleaned up after each test. */
export function useDriverHarness(): DriverHarness {
  let nats: RunningNats;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    nats = await startNatsServer({ jetstream: false });
  });
  afterAll(async () => {
    await nats?.stop();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  return {
    async scriptedMaster(options = {}) {
      const master = await ScriptedMaster.create(nats.url, options);
      cleanups.push(() => master.close());
      return master;
    },
    async driverFor(scheduler, extra = {}) {
      const nc: NatsConnection = await connect({ servers: nats.url });
      cleanups.push(() => nc.close());
      const driver = new SchedulerDriver({
        nc,
        scheduler,
        log,
        clock: extra.clock,
        callTimeoutMs: 1000,
        frameworkInfo: { name: 'spec-framework', failoverTimeoutSeconds: 60, ...(extra.id ? { id: extra.id } : {}) },
      });
      cleanups.push(() => driver.stop({ failover: true }));
      return driver;
    },
  };
}
