import { InputError } from '@pando/common';
import type { CatchUp } from './run-planner';

/**
 * The Chronos plugin's options, from `--plugin-opts chronos.<key>=<value>,...` (keys in
 * camelCase or kebab-case). Defaults suit production; tests shorten the retry backoff.
 */
export interface ChronosOptions {
  /** How often the planner looks for runs to record (and the launcher re-checks its offers). */
  tickMs: number;
  /**
   * Runs are recorded (persisted, run id claimed) this long before their instant, so that at
   * the instant the launch needs nothing but an offer.
   */
  planAheadMs: number;
  /** Offers are kept (not declined) while a run is due within this long. */
  holdOffersBeforeMs: number;
  /** The longest an offer is kept unused; then it is declined with a 0 s filter (it comes back). */
  offerHoldMs: number;
  /** At most this many offers are kept at once. */
  maxHeldOffers: number;
  /** Offers are revived this long before the next run is due (after a suppress or a long decline). */
  reviveBeforeMs: number;
  /** With nothing due for this long, offers are declined for a long time and suppressed. */
  suppressAfterMs: number;
  /** The first retry waits this long (Chronos's `--failure_retry`, 60 s), doubling each time... */
  retryBaseMs: number;
  /** ...multiplied by this factor each further retry... */
  retryFactor: number;
  /** ...up to this long. */
  retryMaxMs: number;
  /** Finished runs kept per job (older ones are deleted). */
  historySize: number;
  /** Runs whose task state is not known (after a failover) are reconciled again this often. */
  reconcileIntervalMs: number;
  /** Grace period of kills (maxCompletionTime, a user's kill, Replace). */
  killGracePeriodMs: number;
  /** Store operations in flight at once when many runs are recorded together. */
  storeConcurrency: number;
  /**
   * Instants missed within epsilon (a downtime): `all` start late, one after another under
   * Forbid (Chronos); `latest` runs only the latest and records the others as superseded
   * (Kubernetes CronJob).
   */
  catchUp: CatchUp;
}

export const DEFAULT_CHRONOS_OPTIONS: ChronosOptions = {
  tickMs: 100,
  planAheadMs: 5000,
  holdOffersBeforeMs: 1500,
  offerHoldMs: 1000,
  maxHeldOffers: 200,
  reviveBeforeMs: 2500,
  suppressAfterMs: 5000,
  retryBaseMs: 60_000,
  retryFactor: 2,
  retryMaxMs: 600_000,
  historySize: 100,
  reconcileIntervalMs: 5000,
  killGracePeriodMs: 5000,
  storeConcurrency: 64,
  catchUp: 'all',
};

type NumericOption = Exclude<keyof ChronosOptions, 'catchUp'>;

const LIMITS: Record<NumericOption, [min: number, max: number, integer: boolean]> = {
  tickMs: [10, 10_000, true],
  planAheadMs: [0, 60_000, true],
  holdOffersBeforeMs: [0, 60_000, true],
  offerHoldMs: [10, 60_000, true],
  maxHeldOffers: [1, 100_000, true],
  reviveBeforeMs: [0, 600_000, true],
  suppressAfterMs: [0, 86_400_000, true],
  retryBaseMs: [0, 86_400_000, true],
  retryFactor: [1, 100, false],
  retryMaxMs: [0, 86_400_000, true],
  historySize: [1, 10_000, true],
  reconcileIntervalMs: [100, 3_600_000, true],
  killGracePeriodMs: [0, 3_600_000, true],
  storeConcurrency: [1, 10_000, true],
};

const camel = (key: string): string => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Reads the plugin options; throws an InputError naming every unknown key and bad value. */
export function parseChronosOptions(raw: Readonly<Record<string, string>> = {}): ChronosOptions {
  const options: ChronosOptions = { ...DEFAULT_CHRONOS_OPTIONS };
  const problems: string[] = [];
  for (const [key, text] of Object.entries(raw)) {
    if (camel(key) === 'catchUp') {
      if (text === 'all' || text === 'latest') options.catchUp = text;
      else problems.push(`${key}: '${text}' must be 'all' or 'latest'`);
      continue;
    }
    const name = camel(key) as NumericOption;
    const limits = LIMITS[name];
    if (!limits) {
      problems.push(`${key}: unknown option (known: ${[...Object.keys(LIMITS), 'catchUp'].join(', ')})`);
      continue;
    }
    const [min, max, integer] = limits;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
      problems.push(`${key}: '${text}' must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
      continue;
    }
    options[name] = value;
  }
  if (problems.length > 0) throw new InputError(`invalid chronos plugin options: ${problems.join('; ')}`, problems);
  return options;
}
