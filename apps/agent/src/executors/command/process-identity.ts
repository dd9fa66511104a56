import { readFileSync } from 'node:fs';

/**
 * A process as it can be recognised after an agent restart: a pid alone may have been reused
 * by then, so it is paired with the process's start time (clock ticks since boot, from
 * /proc/<pid>/stat) and the boot id (a reboot restarts both pids and start times).
 */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
  bootId: string;
}

let cachedBootId: string | undefined;

/** /proc/sys/kernel/random/boot_id: changes on every boot. */
export function bootId(): string {
  if (cachedBootId !== undefined) return cachedBootId;
  try {
    cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    cachedBootId = 'unknown';
  }
  return cachedBootId;
}

interface ProcStat {
  state: string;
  startTime: string;
}

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); starttime is field 22.
    return { state: fields[0] ?? '', startTime: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** The identity of a live process, or undefined when it is gone. */
export function identify(pid: number): ProcessIdentity | undefined {
  const stat = procStat(pid);
  if (!stat || stat.state === 'Z') return undefined;
  return { pid, startTime: stat.startTime, bootId: bootId() };
}

/** Is this exact process (not a later one with the same pid) still alive? Zombies count as dead. */
export function isAlive(identity: ProcessIdentity): boolean {
  if (identity.bootId !== bootId()) return false;
  const stat = procStat(identity.pid);
  return stat !== undefined && stat.state !== 'Z' && stat.startTime === identity.startTime;
}

/** Signals a process group; a group that is already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Signals one process; one that is already gone is not an error. */
export function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    return false;
  }
}
