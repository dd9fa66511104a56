import { hostname as osHostname } from 'node:os';
import { ALLOCATOR_KINDS } from './allocation';
import { parseQuotas, parseWeights, type RoleQuota } from './offers/allocation-policy.parser';
import {
  isSubjectSafeId,
  kvReplicasOptionSpec,
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
  /** Replicas of the KV bucket holding the leader lease and the registry (1, 3 or 5). */
  kvReplicas: number;
  /** The KV bucket holding the leader lease and the registry. */
  registryBucket: string;
  /** Leader lease time-to-live: renewed every third of it; a standby takes over after this much silence. */
  leaseTtlMs: number;
  /** Share (0..1) of the agents in the registry that must re-register before a new leader makes offers. */
  recoveryAgentShare: number;
  /** ...or this long after it started leading, whichever comes first. */
  recoveryTimeoutMs: number;
  /** A leader whose main thread has not run for this long is wedged and ends (its lease runs in a worker). */
  leaderStallLimitMs: number;
  /** Host name or address other masters and clients reach this master's HTTP at (the leader URL). */
  advertiseHost: string;
  /** How a standby answers HTTP other than /health: proxy GET/HEAD to the leader (others: 307), or 307 everything. */
  standbyHttp: StandbyHttpMode;
}

export const STANDBY_HTTP_MODES = ['proxy', 'redirect'] as const;
export type StandbyHttpMode = (typeof STANDBY_HTTP_MODES)[number];

/** The KV bucket of the leader lease and the registry, unless --registry-bucket says otherwise. */
export const DEFAULT_REGISTRY_BUCKET = 'pando-master-registry';

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
  kvReplicas: kvReplicasOptionSpec('leader lease, registry'),
  registryBucket: {
    flag: 'registry-bucket',
    env: 'PANDO_MASTER_REGISTRY_BUCKET',
    description: 'KV bucket of the leader lease and the registry (masters of one cluster share it)',
    default: DEFAULT_REGISTRY_BUCKET,
    parse: (raw: string) => {
      if (!/^[-_a-zA-Z0-9]{1,64}$/.test(raw)) throw new Error('expected letters, digits, "-" or "_" (at most 64)');
      return raw;
    },
  } as OptionSpec<string>,
  leaseTtlMs: {
    flag: 'lease-ttl-ms',
    env: 'PANDO_MASTER_LEASE_TTL_MS',
    description: 'leader lease time-to-live, milliseconds: renewed every third of it; a leader that cannot renew within 0.9 of it exits; a standby takes over after this much silence',
    default: 1500,
    parse: parsers.int(300, 600_000),
  } as OptionSpec<number>,
  recoveryAgentShare: {
    flag: 'recovery-agent-share',
    env: 'PANDO_MASTER_RECOVERY_AGENT_SHARE',
    description: 'share (0 to 1) of the agents in the registry that must re-register before a new leader makes offers and marks agents unreachable',
    default: 0.8,
    parse: parsers.number(0, 1),
  } as OptionSpec<number>,
  recoveryTimeoutMs: {
    flag: 'recovery-timeout-ms',
    env: 'PANDO_MASTER_RECOVERY_TIMEOUT_MS',
    description: 'longest a new leader waits for agents to re-register before it makes offers anyway, milliseconds',
    default: 15_000,
    parse: parsers.int(0, 3_600_000),
  } as OptionSpec<number>,
  leaderStallLimitMs: {
    flag: 'leader-stall-limit-ms',
    env: 'PANDO_MASTER_LEADER_STALL_LIMIT_MS',
    description: 'a leader whose event loop has not run for this long is wedged and exits (its lease is renewed by a worker thread meanwhile), milliseconds',
    default: 10_000,
    parse: parsers.int(1000, 600_000),
  } as OptionSpec<number>,
  advertiseHost: {
    flag: 'advertise-host',
    env: 'PANDO_MASTER_ADVERTISE_HOST',
    description: 'host name or address other masters send HTTP clients to (default: the --http host, or --hostname when that is a wildcard)',
    parse: parsers.string,
  } as OptionSpec<string | undefined>,
  standbyHttp: {
    flag: 'standby-http',
    env: 'PANDO_MASTER_STANDBY_HTTP',
    description: `how a standby answers HTTP (${STANDBY_HTTP_MODES.join(', ')}): proxy GET/HEAD to the leader and 307 the rest, or 307 everything`,
    default: 'proxy',
    parse: (raw: string) => {
      if (!(STANDBY_HTTP_MODES as readonly string[]).includes(raw)) throw new Error(`expected one of ${STANDBY_HTTP_MODES.join(', ')}`);
      return raw as StandbyHttpMode;
    },
  } as OptionSpec<StandbyHttpMode>,
  ...natsOptionSpecs,
};

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

/** Reads flags and environment; throws an InputError naming every bad value. */
export function readMasterOptions(argv?: readonly string[], env?: NodeJS.ProcessEnv): MasterOptions {
  const values = readOptions(masterOptionSpecs, argv, env);
  const http = parsers.listenAddress(values.http);
  const hostname = values.hostname ?? osHostname();
  return {
    http,
    heartbeatIntervalMs: values.heartbeatIntervalMs,
    maxMissedHeartbeats: values.maxMissedHeartbeats,
    masterId: values.masterId ?? newId(),
    hostname,
    completedTasks: values.completedTasks,
    nats: natsSettingsFrom(values),
    allocator: values.allocator,
    allocationIntervalMs: values.allocationIntervalMs,
    offerTimeoutMs: values.offerTimeoutMs,
    weights: values.weights,
    quotas: values.quotas,
    frameworkHeartbeatIntervalMs: values.frameworkHeartbeatIntervalMs,
    completedFrameworks: values.completedFrameworks,
    kvReplicas: values.kvReplicas,
    registryBucket: values.registryBucket,
    leaseTtlMs: values.leaseTtlMs,
    recoveryAgentShare: values.recoveryAgentShare,
    recoveryTimeoutMs: values.recoveryTimeoutMs,
    leaderStallLimitMs: values.leaderStallLimitMs,
    advertiseHost: values.advertiseHost ?? (WILDCARD_HOSTS.has(http.host) ? hostname : http.host),
    standbyHttp: values.standbyHttp,
  };
}
