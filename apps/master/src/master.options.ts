import { hostname as osHostname } from 'node:os';
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
  };
}
