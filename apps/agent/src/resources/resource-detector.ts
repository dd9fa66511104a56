import { execFile } from 'node:child_process';
import { mkdir, statfs } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';
import { Resources } from '@pando/resources';

const MIB = 1024 * 1024;
const DISK_HEADROOM_MAX_MB = 5 * 1024;
const DEFAULT_MEM_RESERVE_MB = 1024;
const SMALL_HOST_MB = 2 * 1024;
const NVIDIA_SMI_TIMEOUT_MS = 2000;
export const DEFAULT_PORTS: [number, number] = [31000, 32000];

/** What the host looks like; read by `probeHost`, passed in by tests. */
export interface HostFacts {
  cpus: number;
  totalMemMb: number;
  /** Free space (MB) of the file system holding the work dir. */
  freeDiskMb: number;
  gpus: number;
}

/** Memory kept for the host: the explicit reserve, else 1024 MB, or half on hosts under 2 GiB. */
export function memoryReserveMb(totalMemMb: number, reserveMb?: number): number {
  if (reserveMb !== undefined) return reserveMb;
  return totalMemMb < SMALL_HOST_MB ? Math.floor(totalMemMb / 2) : DEFAULT_MEM_RESERVE_MB;
}

/** The resources an agent offers by default on a host. */
export function detectedResources(facts: HostFacts, memReserveMb?: number): Resources {
  const mem = Math.max(0, facts.totalMemMb - memoryReserveMb(facts.totalMemMb, memReserveMb));
  // Leave room for logs, images and the agent itself: half the free space, at most 5 GiB.
  const disk = Math.max(0, facts.freeDiskMb - Math.min(DISK_HEADROOM_MAX_MB, facts.freeDiskMb / 2));
  const scalars: Record<string, number> = { cpus: facts.cpus, mem, disk: Math.floor(disk) };
  if (facts.gpus > 0) scalars.gpus = facts.gpus;
  return Resources.scalars(scalars).add(Resources.parse(`ports:[${DEFAULT_PORTS[0]}-${DEFAULT_PORTS[1]}]`));
}

/**
 * The operator's --resources win name by name: `--resources cpus:2` replaces the detected cpus
 * (every role of it) and keeps the detected mem, disk, ports and gpus.
 */
export function mergeResources(detected: Resources, given: Resources | undefined): Resources {
  if (!given) return detected;
  const givenNames = new Set(given.names());
  return detected.filter((r) => !givenNames.has(r.name)).add(given);
}

/** Reads the host: cpus, memory, free disk of the work dir (created if missing), GPUs. */
export async function probeHost(workDir: string): Promise<HostFacts> {
  await mkdir(workDir, { recursive: true });
  const fsStats = await statfs(workDir);
  return {
    cpus: availableParallelism(),
    totalMemMb: Math.floor(totalmem() / MIB),
    freeDiskMb: Math.floor((fsStats.bavail * fsStats.bsize) / MIB),
    gpus: await countGpus(),
  };
}

/** Number of NVIDIA GPUs, 0 when nvidia-smi is missing, fails or hangs (2 s timeout). */
export function countGpus(): Promise<number> {
  return new Promise((resolve) => {
    execFile(
      'nvidia-smi',
      ['--query-gpu=index', '--format=csv,noheader'],
      { timeout: NVIDIA_SMI_TIMEOUT_MS },
      (err, stdout) => {
        if (err) return resolve(0);
        resolve(stdout.split('\n').filter((line) => line.trim().length > 0).length);
      },
    );
  });
}

export async function detectResources(workDir: string, given: Resources | undefined, memReserveMb?: number): Promise<Resources> {
  return mergeResources(detectedResources(await probeHost(workDir), memReserveMb), given);
}
