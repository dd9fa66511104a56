import type { Offer } from '@pando/protocol';
import type { ResourceJson } from '@pando/resources';
import { parseApp } from '../app.schema';
import type { AppDefinition } from '../app.types';
import type { AppTask } from '../app-task';
import { createApp } from '../app-update.merge';

/** Test helpers: apps, offers and tasks with readable defaults. Not exported from the plugin. */

export const T0 = Date.parse('2024-05-01T10:00:00.000Z');

export function app(body: Record<string, unknown>, now = T0): AppDefinition {
  return createApp(parseApp({ cmd: 'sleep 1000', ...body }), now);
}

export function scalar(name: string, value: number, role?: string): ResourceJson {
  return { name, type: 'SCALAR', scalar: { value }, ...(role ? { role } : {}) };
}

export function ports(begin: number, end: number, role?: string): ResourceJson {
  return { name: 'ports', type: 'RANGES', ranges: { range: [{ begin, end }] }, ...(role ? { role } : {}) };
}

export function offer(overrides: Partial<Offer> = {}): Offer {
  return {
    id: 'offer-1',
    frameworkId: 'fw-1',
    agentId: 'agent-1',
    hostname: 'host-1',
    resources: [scalar('cpus', 4), scalar('mem', 4096), scalar('disk', 10000), ports(31000, 31009)],
    attributes: {},
    executors: ['command', 'docker'],
    allocationInfo: { role: '*' },
    ...overrides,
  };
}

let counter = 0;

export function task(appDef: AppDefinition, overrides: Partial<AppTask> = {}): AppTask {
  counter++;
  return {
    taskId: `${appDef.id.slice(1).replaceAll('/', '_')}:00000000-0000-0000-0000-${String(counter).padStart(12, '0')}`,
    appId: appDef.id,
    agentId: 'agent-1',
    host: 'host-1',
    attributes: {},
    hostPorts: [31000],
    version: appDef.version,
    state: 'RUNNING',
    stagedAt: T0 + counter,
    startedAt: T0 + counter + 1,
    ...overrides,
  };
}
