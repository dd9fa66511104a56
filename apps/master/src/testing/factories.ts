import { PROTOCOL_VERSION, type RegisterAgentRequestParsed, type TaskInfo, type TaskReport, type TaskStatus } from '@pando/protocol';
import type { ResourceJson } from '@pando/resources';
import type { AgentInfo } from '../agents/agent.record';
import type { MasterOptions } from '../master.options';

/** Small builders for specs. (Belongs in libs/testing once that exists.) */
export function resourcesJson(cpus: number, mem: number, ports?: [number, number]): ResourceJson[] {
  const list: ResourceJson[] = [
    { name: 'cpus', type: 'SCALAR', scalar: { value: cpus } },
    { name: 'mem', type: 'SCALAR', scalar: { value: mem } },
  ];
  if (ports) list.push({ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: ports[0], end: ports[1] }] } });
  return list;
}

export function agentInfo(hostname = 'node-1'): AgentInfo {
  return { hostname, httpPort: 5051, version: '0.1.0', attributes: { rack: 'r1' }, executors: ['command'] };
}

export function registerRequest(overrides: Partial<RegisterAgentRequestParsed> = {}): RegisterAgentRequestParsed {
  return {
    protocolVersion: PROTOCOL_VERSION,
    hostname: 'node-1',
    httpPort: 5051,
    resources: resourcesJson(4, 4096, [31000, 32000]),
    attributes: { rack: 'r1' },
    version: '0.1.0',
    executors: ['command'],
    tasks: [],
    ...overrides,
  };
}

export function taskInfo(taskId: string, agentId: string, overrides: Partial<TaskInfo> = {}): TaskInfo {
  return {
    taskId,
    name: taskId,
    frameworkId: 'operator',
    agentId,
    resources: resourcesJson(1, 128),
    executor: 'command',
    ...overrides,
  };
}

export function taskStatus(task: TaskInfo, state: TaskStatus['state'], overrides: Partial<TaskStatus> = {}): TaskStatus {
  return { taskId: task.taskId, frameworkId: task.frameworkId, agentId: task.agentId, state, timestamp: Date.UTC(2026, 0, 1), source: 'SOURCE_EXECUTOR', ...overrides };
}

export function taskReport(task: TaskInfo, state: TaskStatus['state'], uuid?: string): TaskReport {
  return { task, status: taskStatus(task, state, uuid ? { uuid } : {}) };
}

export function masterOptions(overrides: Partial<MasterOptions> = {}): MasterOptions {
  return {
    http: { host: '127.0.0.1', port: 0 },
    heartbeatIntervalMs: 3000,
    maxMissedHeartbeats: 4,
    masterId: 'master-1',
    hostname: 'master-host',
    completedTasks: 1000,
    nats: { servers: ['nats://127.0.0.1:4222'] },
    allocator: 'drf',
    allocationIntervalMs: 1000,
    offerTimeoutMs: 0,
    weights: {},
    quotas: {},
    frameworkHeartbeatIntervalMs: 5000,
    completedFrameworks: 100,
    kvReplicas: 1,
    registryBucket: 'pando-master-registry',
    leaseTtlMs: 2000,
    recoveryAgentShare: 0.8,
    recoveryTimeoutMs: 15_000,
    leaderStallLimitMs: 10_000,
    advertiseHost: '127.0.0.1',
    standbyHttp: 'proxy',
    ...overrides,
  };
}
