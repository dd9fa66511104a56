import { hostname } from 'node:os';
import { resolve } from 'node:path';
import {
  describeOptions,
  InputError,
  natsOptionSpecs,
  natsSettingsFrom,
  parsers,
  readOptions,
  type NatsSettings,
  type OptionSpec,
  type OptionSpecs,
} from '@pando/common';
import { Resources } from '@pando/resources';
import { parseAttributes, parseKeyValues, type Attributes } from './resources/attributes.parser';

/** Everything the agent is configured with, after parsing and defaults. */
export interface AgentConfig {
  http: { host: string; port: number };
  /** Absolute; sandboxes and the checkpoint live under it. */
  workDir: string;
  /** Resources given by the operator; their names replace the detected ones. */
  resources?: Resources;
  attributes: Attributes;
  hostname: string;
  /** The HOST env given to tasks. */
  advertiseHost: string;
  executors: string[];
  executorOptions: Record<string, string>;
  /** Undefined: 1024, or half of the memory when the host has less than 2 GiB. */
  memReserveMb?: number;
  killGraceMs: number;
  nats: NatsSettings;
}

/** Nest injection token of the AgentConfig. */
export const AGENT_CONFIG = Symbol('AGENT_CONFIG');

export const agentOptionSpecs = {
  http: {
    flag: 'http',
    env: 'PANDO_AGENT_HTTP',
    description: 'HTTP listen address (host:port) for /health and /state',
    default: { host: '0.0.0.0', port: 5051 },
    parse: parsers.listenAddress,
  } as OptionSpec<{ host: string; port: number }>,
  workDir: {
    flag: 'work-dir',
    env: 'PANDO_AGENT_WORK_DIR',
    description: 'work dir: sandboxes and the agent checkpoint (agent.json)',
    default: './.pando/agent',
    parse: parsers.string,
  } as OptionSpec<string>,
  resources: {
    flag: 'resources',
    env: 'PANDO_AGENT_RESOURCES',
    description: "resources in Mesos text form ('cpus:4;mem:2048;ports:[31000-32000]'); given names replace detected ones",
    parse: (raw: string) => Resources.parse(raw),
  } as OptionSpec<Resources | undefined>,
  attributes: {
    flag: 'attributes',
    env: 'PANDO_AGENT_ATTRIBUTES',
    description: "attributes 'name:value;name2:value2' (numbers become numbers)",
    parse: parseAttributes,
  } as OptionSpec<Attributes | undefined>,
  hostname: {
    flag: 'hostname',
    env: 'PANDO_AGENT_HOSTNAME',
    description: 'host name reported to the master',
    default: hostname(),
    parse: parsers.string,
  } as OptionSpec<string>,
  advertiseHost: {
    flag: 'advertise-host',
    env: 'PANDO_AGENT_ADVERTISE_HOST',
    description: 'the HOST env given to tasks',
    parse: parsers.string,
  } as OptionSpec<string | undefined>,
  executors: {
    flag: 'executors',
    env: 'PANDO_AGENT_EXECUTORS',
    description: 'executor plugins to enable, comma separated',
    default: ['command'],
    parse: parsers.list,
  } as OptionSpec<string[]>,
  executorOpts: {
    flag: 'executor-opts',
    env: 'PANDO_EXECUTOR_OPTS',
    description: "options for executor plugins, 'key=value,key2=value2'",
    parse: parseKeyValues,
  } as OptionSpec<Record<string, string> | undefined>,
  memReserveMb: {
    flag: 'mem-reserve-mb',
    env: 'PANDO_AGENT_MEM_RESERVE_MB',
    description: 'memory (MB) kept for the host, not offered (default 1024, or half when the host has < 2 GiB)',
    parse: parsers.int(0, 1 << 30),
  } as OptionSpec<number | undefined>,
  killGraceMs: {
    flag: 'kill-grace-ms',
    env: 'PANDO_AGENT_KILL_GRACE_MS',
    description: 'default grace period between SIGTERM and SIGKILL when killing a task',
    default: 5000,
    parse: parsers.int(0, 3_600_000),
  } as OptionSpec<number>,
  ...natsOptionSpecs,
};

/** `--help` text: every flag, its variable and its default. */
export function agentHelp(): string {
  const shown = {
    ...agentOptionSpecs,
    http: { ...agentOptionSpecs.http, default: '0.0.0.0:5051' },
    memReserveMb: { ...agentOptionSpecs.memReserveMb, default: '1024 (half the memory under 2 GiB)' },
    advertiseHost: { ...agentOptionSpecs.advertiseHost, default: 'the host name' },
    hostname: { ...agentOptionSpecs.hostname, default: 'os.hostname()' },
  };
  return describeOptions(shown as OptionSpecs);
}

/**
 * Reads flags and environment (flag wins over env over default). `knownExecutors` are the
 * executor plugin ids the agent ships; naming another in --executors is a configuration error.
 */
export function readAgentConfig(
  knownExecutors: readonly string[],
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): AgentConfig {
  const values = readOptions(agentOptionSpecs, argv, env);
  const unknown = values.executors.filter((id) => !knownExecutors.includes(id));
  if (unknown.length > 0) {
    throw new InputError(
      `invalid configuration: --executors / PANDO_AGENT_EXECUTORS: unknown executor ${unknown.map((id) => `'${id}'`).join(', ')} (known: ${knownExecutors.join(', ')})`,
    );
  }
  if (values.executors.length === 0) {
    throw new InputError('invalid configuration: --executors / PANDO_AGENT_EXECUTORS: at least one executor is needed');
  }
  return {
    http: values.http,
    workDir: resolve(values.workDir),
    resources: values.resources,
    attributes: values.attributes ?? {},
    hostname: values.hostname,
    advertiseHost: values.advertiseHost ?? values.hostname,
    executors: [...new Set(values.executors)],
    executorOptions: values.executorOpts ?? {},
    memReserveMb: values.memReserveMb,
    killGraceMs: values.killGraceMs,
    nats: natsSettingsFrom(values),
  };
}
