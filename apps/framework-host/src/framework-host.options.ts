import { hostname as osHostname } from 'node:os';
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

/** Everything the framework host reads at start, resolved (defaults applied, values parsed). */
export interface FrameworkHostOptions {
  /** Plugin specs in the order given: bundled ids, paths (relative to cwd) or package names. */
  plugins: string[];
  /** HTTP port per plugin id; a plugin absent here listens on its defaultPort. */
  pluginPorts: Record<string, number>;
  /** Options per plugin id, by key. */
  pluginOptions: Record<string, Record<string, string>>;
  httpHost: string;
  /** Host name in the URLs this host advertises (lease value, context.http.advertisedUrl). */
  advertiseHost: string;
  kvReplicas: number;
  leaseTtlMs: number;
  /** Names this host in the leases; stable for the life of the supervisor process. */
  hostId: string;
  restartBackoffMs: { initial: number; max: number };
  nats: NatsSettings;
}

/** `marathon=8080,chronos=4400` */
export function parsePluginPorts(raw: string): Record<string, number> {
  const ports: Record<string, number> = {};
  const problems: string[] = [];
  for (const item of parsers.list(raw)) {
    const m = /^([^=]+)=(\d+)$/.exec(item);
    const port = m ? Number(m[2]) : NaN;
    if (!m || !Number.isInteger(port) || port < 0 || port > 65535) problems.push(`'${item}' is not <plugin-id>=<port from 0 to 65535>`);
    else if (ports[m[1].trim()] !== undefined) problems.push(`plugin '${m[1].trim()}' is given two ports`);
    else ports[m[1].trim()] = port;
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return ports;
}

/** `marathon.zk=...,chronos.timezone=UTC`: `<id>.<key>=<value>`, split at the first '.' and '='. */
export function parsePluginOptions(raw: string): Record<string, Record<string, string>> {
  const options: Record<string, Record<string, string>> = {};
  const problems: string[] = [];
  for (const item of parsers.list(raw)) {
    const m = /^([^.=]+)\.([^=]+)=(.*)$/.exec(item);
    if (!m) {
      problems.push(`'${item}' is not <plugin-id>.<key>=<value>`);
      continue;
    }
    (options[m[1].trim()] ??= {})[m[2].trim()] = m[3];
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return options;
}

const hostId = (raw: string): string => {
  if (!isSubjectSafeId(raw)) throw new Error('expected letters, digits, "_", "-" or ":" (at most 200)');
  return raw;
};

export const frameworkHostOptionSpecs = {
  plugins: {
    flag: 'plugins',
    env: 'PANDO_PLUGINS',
    description: 'framework plugins to run, comma separated: bundled ids (marathon, chronos), paths (relative to the working dir) or npm package names',
    default: [],
    parse: parsers.list,
  } as OptionSpec<string[]>,
  pluginPorts: {
    flag: 'plugin-ports',
    env: 'PANDO_PLUGIN_PORTS',
    description: "HTTP port per plugin, <id>=<port>,... (default: the plugin's defaultPort)",
    default: {},
    parse: parsePluginPorts,
  } as OptionSpec<Record<string, number>>,
  pluginOptions: {
    flag: 'plugin-opts',
    env: 'PANDO_PLUGIN_OPTS',
    description: 'plugin options, <id>.<key>=<value>,... (each plugin validates its own)',
    default: {},
    parse: parsePluginOptions,
  } as OptionSpec<Record<string, Record<string, string>>>,
  httpHost: {
    flag: 'http-host',
    env: 'PANDO_FRAMEWORK_HOST_HTTP_HOST',
    description: 'address the plugin HTTP listeners bind to',
    default: '0.0.0.0',
    parse: parsers.string,
  } as OptionSpec<string>,
  advertiseHost: {
    flag: 'advertise-host',
    env: 'PANDO_FRAMEWORK_HOST_ADVERTISE_HOST',
    description: 'host name or address other processes reach this host at (default: the OS host name)',
    parse: parsers.string,
  } as OptionSpec<string | undefined>,
  kvReplicas: kvReplicasOptionSpec('plugin state, leases'),
  leaseTtlMs: {
    flag: 'lease-ttl-ms',
    env: 'PANDO_PLUGIN_LEASE_TTL_MS',
    description: 'plugin leader lease time-to-live, milliseconds (renewed every third of it); a standby takes over after this much silence',
    default: 10_000,
    parse: parsers.int(300, 600_000),
  } as OptionSpec<number>,
  hostId: {
    flag: 'host-id',
    env: 'PANDO_FRAMEWORK_HOST_ID',
    description: 'id of this framework host in the plugin leases (default: a random uuid)',
    parse: hostId,
  } as OptionSpec<string | undefined>,
  restartBackoffMs: {
    flag: 'restart-backoff-ms',
    env: 'PANDO_PLUGIN_RESTART_BACKOFF_MS',
    description: 'delay before restarting a crashed plugin worker, milliseconds; doubles on each crash up to 30 times it',
    default: 1000,
    parse: parsers.int(10, 600_000),
  } as OptionSpec<number>,
  ...natsOptionSpecs,
};

/** Reads flags and environment; throws an InputError naming every bad value. */
export function readFrameworkHostOptions(argv?: readonly string[], env?: NodeJS.ProcessEnv): FrameworkHostOptions {
  const values = readOptions(frameworkHostOptionSpecs, argv, env);
  return {
    plugins: values.plugins,
    pluginPorts: values.pluginPorts,
    pluginOptions: values.pluginOptions,
    httpHost: values.httpHost,
    advertiseHost: values.advertiseHost ?? osHostname(),
    kvReplicas: values.kvReplicas,
    leaseTtlMs: values.leaseTtlMs,
    hostId: values.hostId ?? newId('host'),
    restartBackoffMs: { initial: values.restartBackoffMs, max: values.restartBackoffMs * 30 },
    nats: natsSettingsFrom(values),
  };
}
