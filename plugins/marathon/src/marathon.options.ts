import { InputError, parsers } from '@pando/common';

/**
 * The Marathon plugin's options: `--plugin-opts marathon.<key>=<value>,...` on the framework
 * host. Keys are kebab-case; an unknown key or a bad value fails the plugin at load time with
 * every problem listed.
 */
export interface MarathonOptions {
  /**
   * A deployment that launched tasks of its new version and then made no progress (no new task
   * healthy and ready, no old task gone) for this long fails and is rolled back.
   */
  deploymentDeadlineSeconds: number;
  /** DECLINE filter for offers nobody needs (Marathon's decline_offer_duration). */
  declineRefuseSeconds: number;
  /** DECLINE filter for offers that fit nothing waiting right now (something still waits). */
  mismatchRefuseSeconds: number;
  /** Versions kept per app (Marathon's zk_max_versions). */
  maxVersions: number;
  /** Executor of apps without a container: `command`, or `sim` on simulated agents. */
  commandExecutor: string;
  /** KILL calls in flight at once. */
  killConcurrency: number;
  /** A kill not followed by a terminal update within this time is sent again. */
  killRetrySeconds: number;
  /** Explicit reconciliation of every known task, besides the one after each subscription. */
  reconcileIntervalSeconds: number;
}

/** The framework subscribes with this role; apps that name none get it. */
export const MARATHON_ROLE = '*';

interface OptionDef<K extends keyof MarathonOptions> {
  key: K;
  description: string;
  default: MarathonOptions[K];
  parse: (raw: string) => MarathonOptions[K];
}

const executorName = (raw: string): string => {
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(raw)) throw new Error('expected an executor plugin id (kebab-case)');
  return raw;
};

export const MARATHON_OPTION_DEFS = {
  'deployment-deadline-seconds': { key: 'deploymentDeadlineSeconds', description: 'a deployment whose new version makes no progress for this long fails and is rolled back', default: 600, parse: parsers.number(1, 7 * 24 * 3600) },
  'decline-refuse-seconds': { key: 'declineRefuseSeconds', description: 'how long offers nobody needs are declined for', default: 120, parse: parsers.number(0, 24 * 3600) },
  'mismatch-refuse-seconds': { key: 'mismatchRefuseSeconds', description: 'how long offers that fit no waiting app are declined for', default: 5, parse: parsers.number(0, 3600) },
  'max-versions': { key: 'maxVersions', description: 'app versions kept per app', default: 50, parse: parsers.int(1, 10_000) },
  'command-executor': { key: 'commandExecutor', description: 'executor of apps without a container (sim on simulated agents)', default: 'command', parse: executorName },
  'kill-concurrency': { key: 'killConcurrency', description: 'KILL calls in flight at once', default: 256, parse: parsers.int(1, 10_000) },
  'kill-retry-seconds': { key: 'killRetrySeconds', description: 'a kill without a terminal update after this long is sent again', default: 30, parse: parsers.number(1, 3600) },
  'reconcile-interval-seconds': { key: 'reconcileIntervalSeconds', description: 'how often every known task is reconciled with the master', default: 600, parse: parsers.number(5, 7 * 24 * 3600) },
} satisfies Record<string, OptionDef<keyof MarathonOptions>>;

export const DEFAULT_MARATHON_OPTIONS: MarathonOptions = Object.fromEntries(
  Object.values(MARATHON_OPTION_DEFS).map((d) => [d.key, d.default]),
) as unknown as MarathonOptions;

/** Reads the plugin options given to the host; throws InputError naming every bad key. */
export function parseMarathonOptions(raw: Readonly<Record<string, string>>): MarathonOptions {
  const options = { ...DEFAULT_MARATHON_OPTIONS } as Record<string, unknown>;
  const problems: string[] = [];
  for (const [name, value] of Object.entries(raw)) {
    const def = (MARATHON_OPTION_DEFS as Record<string, OptionDef<keyof MarathonOptions>>)[name];
    if (!def) {
      problems.push(`unknown option '${name}' (known: ${Object.keys(MARATHON_OPTION_DEFS).join(', ')})`);
      continue;
    }
    try {
      options[def.key] = def.parse(value.trim());
    } catch (err) {
      problems.push(`${name}='${value}': ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (problems.length > 0) throw new InputError(`invalid marathon plugin options: ${problems.join('; ')}`, problems);
  return options as unknown as MarathonOptions;
}
