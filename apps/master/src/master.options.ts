import { hostname as osHostname } from 'node:os';
import { ALLOCATOR_KINDS } from './allocation';
import { parseQuotas, parseWeights, type RoleQuota } from './offers/allocation-policy.parser';
import {
  isSubjectSafeId,
  natsOptionSpecs,
  natsSettingsFrom,
  newId,
  parsers,
  readOptions,
  type NatsSettings,
  type OptionSpec,
} from '@pando/common';

/** Everything the master reads at start, resolved (defaults applied, values parsed). */
export interface MasterOptions {
  http: { host: string; port: number };
  heartbeatIntervalMs: number;
  maxMissedHeartbeats: number;
  masterId: string;
  hostname: string;
  completedTasks: number;
  nats: NatsSettings;
  /** Allocator kind (see ALLOCATOR_KINDS). */
  allocator: string;
  allocationIntervalMs: number;
  /** 0: offers never time out. */
  offerTimeoutMs: number;
  /** Role weights (roles absent here weigh 1). */
  weights: Record<string, number>;
  /** Quota per role: guarantee and limit (empty = none / unlimited). */
  quotas: Record<string, RoleQuota>;
  /** How often frameworks are sent HEARTBEAT requests (sent to them in the SUBSCRIBE reply). */
  frameworkHeartbeatIntervalMs: number;
  /** Removed frameworks remembered for /master/state (oldest dropped first). */
  completedFrameworks: number;
}

const masterId = (raw: string): string => {
  if (!isSubjectSafeId(raw)) throw new Error('expected letters, digits, "_", "-" or ":" (at most 200)');
  return raw;
};

export const masterOptionSpecs = {
  http: {
    flag: 'http',
    env: 'PANDO_MASTER_HTTP',
    description: 'HTTP listen address (state, health, later the APIs), host:port',
    default: '0.0.0.0:5050',
    // Checked here so the error names the flag; turned into {host, port} in readMasterOptions.
    parse: (raw: string) => {
      parsers.listenAddress(raw);
      return raw;
    },
  } as OptionSpec<string>,
  heartbeatIntervalMs: {
    flag: 'heartbeat-interval-ms',
    env: 'PANDO_HEARTBEAT_INTERVAL_MS',
    description: 'how often agents heartbeat (sent to them when they register), milliseconds',
    default: 3000,
    parse: parsers.int(100, 600_000),
  } as OptionSpec<number>,
  maxMissedHeartbeats: {
    flag: 'max-missed-heartbeats',
    env: 'PANDO_MAX_MISSED_HEARTBEATS',
    description: 'heartbeats an agent may miss before it is marked unreachable',
    default: 4,
    parse: parsers.int(1, 1000),
  } as OptionSpec<number>,
  masterId: {
    flag: 'master-id',
    env: 'PANDO_MASTER_ID',
    description: 'id of this master (default: a random uuid)',
    parse: masterId,
  } as OptionSpec<string | undefined>,
  hostname: {
    flag: 'hostname',
    env: 'PANDO_MASTER_HOSTNAME',
    description: 'host name advertised in /master/state (default: the OS host name)',
    parse: parsers.string,
  } as OptionSpec<string | undefined>,
  completedTasks: {
    flag: 'completed-tasks',
    env: 'PANDO_COMPLETED_TASKS',
    description: 'how many terminal tasks the master remembers (oldest dropped first)',
    default: 1000,
    parse: parsers.int(0, 1_000_000),
  } as OptionSpec<number>,
  allocator: {
    flag: 'allocator',
    env: 'PANDO_ALLOCATOR',
    description: `allocator kind (${ALLOCATOR_KINDS.join(', ')})`,
    default: 'drf',
    parse: (raw: string) => {
      if (!(ALLOCATOR_KINDS as readonly string[]).includes(raw)) throw new Error(`expected one of ${ALLOCATOR_KINDS.join(', ')}`);
      return raw;
    },
  } as OptionSpec<string>,
  allocationIntervalMs: {
    flag: 'allocation-interval-ms',
    env: 'PANDO_ALLOCATION_INTERVAL_MS',
    description: 'time between batch allocation cycles (cycles also run soon after events), milliseconds',
    default: 1000,
    parse: parsers.int(10, 600_000),
  } as OptionSpec<number>,
  offerTimeoutMs: {
    flag: 'offer-timeout-ms',
    env: 'PANDO_OFFER_TIMEOUT_MS',
    description: 'rescind offers not answered within this time, milliseconds (0: never)',
    default: 0,
    parse: parsers.int(0, 86_400_000),
  } as OptionSpec<number>,
  weights: {
    flag: 'weights',
    env: 'PANDO_WEIGHTS',
    description: 'role weights, role=weight,... (e.g. "web=1,batch=3"); other roles weigh 1',
    default: {},
    parse: parseWeights,
  } as OptionSpec<Record<string, number>>,
  quotas: {
    flag: 'quotas',
    env: 'PANDO_QUOTAS',
    description: 'role quotas, role=GUARANTEE[/LIMIT],... with scalar resources, e.g. "web=cpus:4;mem:1024/cpus:8;mem:2048,batch=/cpus:2"',
    default: {},
    parse: parseQuotas,
  } as OptionSpec<Record<string, RoleQuota>>,
  frameworkHeartbeatIntervalMs: {
    flag: 'framework-heartbeat-interval-ms',
    env: 'PANDO_FRAMEWORK_HEARTBEAT_INTERVAL_MS',
    description: 'how often frameworks get a HEARTBEAT request; 2 unanswered in a row disconnect the framework, milliseconds',
    default: 5000,
    parse: parsers.int(100, 600_000),
  } as OptionSpec<number>,
  completedFrameworks: {
    flag: 'completed-frameworks',
    env: 'PANDO_COMPLETED_FRAMEWORKS',
    description: 'how many removed frameworks the master remembers (oldest dropped first)',
    default: 100,
    parse: parsers.int(0, 100_000),
  } as OptionSpec<number>,
  ...natsOptionSpecs,
};

/** Reads flags and environment; throws an InputError naming every bad value. */
export function readMasterOptions(argv?: readonly string[], env?: NodeJS.ProcessEnv): MasterOptions {
  const values = readOptions(masterOptionSpecs, argv, env);
  return {
    http: parsers.listenAddress(values.http),
    heartbeatIntervalMs: values.heartbeatIntervalMs,
    maxMissedHeartbeats: values.maxMissedHeartbeats,
    masterId: values.masterId ?? newId(),
    hostname: values.hostname ?? osHostname(),
    completedTasks: values.completedTasks,
    nats: natsSettingsFrom(values),
    allocator: values.allocator,
    allocationIntervalMs: values.allocationIntervalMs,
    offerTimeoutMs: values.offerTimeoutMs,
    weights: values.weights,
    quotas: values.quotas,
    frameworkHeartbeatIntervalMs: values.frameworkHeartbeatIntervalMs,
    completedFrameworks: values.completedFrameworks,
  };
}
