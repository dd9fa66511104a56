import { parsers, type OptionSpec } from '../config/options';

/** How a process reaches NATS: a server list (a cluster), credentials and TLS. */
export interface NatsSettings {
  servers: string[];
  user?: string;
  pass?: string;
  token?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

export const DEFAULT_NATS_SERVERS = ['nats://127.0.0.1:4222'];

/** Option specs every process includes, so that all take NATS settings the same way. */
export const natsOptionSpecs = {
  natsServers: {
    flag: 'nats-servers',
    env: 'PANDO_NATS_SERVERS',
    description: 'NATS servers, comma separated (a cluster is given as its list)',
    default: DEFAULT_NATS_SERVERS,
    parse: parsers.list,
  } as OptionSpec<string[]>,
  natsUser: { flag: 'nats-user', env: 'PANDO_NATS_USER', description: 'NATS user name', parse: parsers.string } as OptionSpec<string | undefined>,
  natsPass: { flag: 'nats-pass', env: 'PANDO_NATS_PASS', description: 'NATS password', parse: parsers.string } as OptionSpec<string | undefined>,
  natsToken: { flag: 'nats-token', env: 'PANDO_NATS_TOKEN', description: 'NATS token', parse: parsers.string } as OptionSpec<string | undefined>,
  natsTlsCa: { flag: 'nats-tls-ca', env: 'PANDO_NATS_TLS_CA', description: 'CA certificate file for TLS to NATS', parse: parsers.string } as OptionSpec<string | undefined>,
  natsTlsCert: { flag: 'nats-tls-cert', env: 'PANDO_NATS_TLS_CERT', description: 'client certificate file for TLS to NATS', parse: parsers.string } as OptionSpec<string | undefined>,
  natsTlsKey: { flag: 'nats-tls-key', env: 'PANDO_NATS_TLS_KEY', description: 'client key file for TLS to NATS', parse: parsers.string } as OptionSpec<string | undefined>,
};

/** `--kv-replicas` / PANDO_KV_REPLICAS: replicas of the JetStream KV buckets a process creates. */
export function kvReplicasOptionSpec(buckets: string): OptionSpec<number> {
  return {
    flag: 'kv-replicas',
    env: 'PANDO_KV_REPLICAS',
    description: `replicas of the KV buckets this process creates (${buckets}): 1, 3 or 5 (3 on a 3-node NATS cluster)`,
    default: 1,
    parse: (raw: string) => {
      const n = parsers.int(1, 5)(raw);
      if (![1, 3, 5].includes(n)) throw new Error('expected 1, 3 or 5');
      return n;
    },
  };
}

export function natsSettingsFrom(values: {
  natsServers: string[];
  natsUser?: string;
  natsPass?: string;
  natsToken?: string;
  natsTlsCa?: string;
  natsTlsCert?: string;
  natsTlsKey?: string;
}): NatsSettings {
  const tls =
    values.natsTlsCa || values.natsTlsCert || values.natsTlsKey
      ? { caFile: values.natsTlsCa, certFile: values.natsTlsCert, keyFile: values.natsTlsKey }
      : undefined;
  return { servers: values.natsServers, user: values.natsUser, pass: values.natsPass, token: values.natsToken, tls };
}
