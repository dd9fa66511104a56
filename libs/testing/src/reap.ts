import { readdirSync, readlinkSync } from 'node:fs';

/**
 * Kills every process whose working directory is under `dir`. Command tasks deliberately
 * outlive their agent (own process group, output to files), so a suite that stops an agent
 * must reap the tasks it left in that agent's sandboxes.
 */
export function killProcessesUnder(dir: string): number {
  let killed = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) {
        process.kill(Number(entry), 'SIGKILL');
        killed++;
      }
    } catch {
      // The process ended meanwhile, or is not ours to inspect.
    }
  }
  return killed;
}
