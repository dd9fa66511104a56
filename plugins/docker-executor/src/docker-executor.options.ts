import { posix } from 'node:path';
import { InputError } from '@pando/common';

export type CpuMode = 'quota' | 'shares';

/** The Docker executor's settings, read once from ExecutorContext.options when it is created. */
export interface DockerExecutorOptions {
  /** Unix socket of the Docker engine. */
  socketPath: string;
  /** Host path prefixes volumes may mount; empty refuses every volume. */
  volumeAllow: string[];
  allowPrivileged: boolean;
  /** Capability names (upper case, without CAP_) tasks may add. */
  allowCapabilities: ReadonlySet<string>;
  /** 'quota': cpus is a hard limit (NanoCpus); 'shares': a relative weight (CpuShares). */
  cpuMode: CpuMode;
  /** Keep ended containers for inspection instead of removing them. */
  keepContainers: boolean;
}

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

const KNOWN_KEYS = [
  'docker-socket',
  'docker-volume-allow',
  'docker-allow-privileged',
  'docker-allow-capabilities',
  'docker-cpu-mode',
  'docker-keep-containers',
] as const;

/**
 * Reads the `docker-*` options, reporting every problem at once. Options of other plugins are
 * ignored, but an unknown `docker-*` key is refused: it is almost always a typo of a safety knob.
 */
export function parseDockerExecutorOptions(options: Readonly<Record<string, string>>): DockerExecutorOptions {
  const problems: string[] = [];
  for (const key of Object.keys(options)) {
    if (key.startsWith('docker-') && !(KNOWN_KEYS as readonly string[]).includes(key)) {
      problems.push(`unknown option '${key}' (known: ${KNOWN_KEYS.join(', ')})`);
    }
  }
  const socketPath = options['docker-socket']?.trim() || DEFAULT_DOCKER_SOCKET;
  if (!socketPath.startsWith('/')) problems.push(`docker-socket '${socketPath}' must be an absolute path`);
  const result: DockerExecutorOptions = {
    socketPath,
    volumeAllow: parseVolumeAllow(options['docker-volume-allow'], problems),
    allowPrivileged: parseBoolean('docker-allow-privileged', options['docker-allow-privileged'], problems),
    allowCapabilities: new Set(splitList(options['docker-allow-capabilities']).map(normalizeCapability)),
    cpuMode: parseCpuMode(options['docker-cpu-mode'], problems),
    keepContainers: parseBoolean('docker-keep-containers', options['docker-keep-containers'], problems),
  };
  if (problems.length > 0) throw new InputError(`invalid docker executor options: ${problems.join('; ')}`, problems);
  return result;
}

/** `NET_ADMIN`, `net_admin` and `CAP_NET_ADMIN` are the same capability. */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  return upper.startsWith('CAP_') ? upper.slice(4) : upper;
}

// The agent's --executor-opts is itself a comma list of key=value pairs, so lists inside one
// value may also be separated by ':' or spaces (`docker-allow-capabilities=NET_ADMIN:SYS_TIME`).
function splitList(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(/[,:\s]+/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function parseVolumeAllow(raw: string | undefined, problems: string[]): string[] {
  const prefixes: string[] = [];
  for (const item of (raw ?? '').split(':').map((p) => p.trim()).filter((p) => p.length > 0)) {
    if (!item.startsWith('/') || item.split('/').includes('..')) {
      problems.push(`docker-volume-allow: '${item}' must be an absolute path without '..'`);
      continue;
    }
    prefixes.push(posix.normalize(item));
  }
  return prefixes;
}

function parseBoolean(key: string, raw: string | undefined, problems: string[]): boolean {
  const value = raw?.trim().toLowerCase();
  if (value === undefined || value === '') return false;
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  problems.push(`${key} '${raw}' must be true or false`);
  return false;
}

function parseCpuMode(raw: string | undefined, problems: string[]): CpuMode {
  const value = raw?.trim().toLowerCase();
  if (value === undefined || value === '' || value === 'quota') return 'quota';
  if (value === 'shares') return 'shares';
  problems.push(`docker-cpu-mode '${raw}' must be 'quota' or 'shares'`);
  return 'quota';
}
