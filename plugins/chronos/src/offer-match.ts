import type { Offer } from '@pando/protocol';
import type { Resources } from '@pando/resources';
import type { Job } from './job.schema';
import type { AgentOffers } from './offer-pool';


const regexCache = new Map<string, RegExp | null>();

/** The pattern as a full-match regular expression (as Chronos and Marathon use LIKE/UNLIKE), null if invalid. */
function fullMatch(pattern: string): RegExp | null {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(`^(?:${pattern})$`);
    } catch {
      re = null;
    }
    if (regexCache.size > 10_000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

/**
 * Chronos's constraints on the offer's agent: `[attribute, EQUALS|LIKE|UNLIKE, value]`, where
 * the attribute `hostname` is the agent's host name. A missing attribute fails EQUALS and LIKE
 * and satisfies UNLIKE.
 */
export function meetsConstraints(constraints: Job['constraints'], offer: Pick<Offer, 'hostname' | 'attributes'>): boolean {
  for (const [attribute, operator, value] of constraints) {
    const raw = attribute === 'hostname' ? offer.hostname : offer.attributes[attribute];
    const actual = raw === undefined ? undefined : String(raw);
    if (operator === 'EQUALS') {
      if (actual !== value) return false;
    } else {
      const re = fullMatch(value);
      const matches = actual !== undefined && re !== null && re.test(actual);
      if (operator === 'LIKE' ? !matches : matches) return false;
    }
  }
  return true;
}

/** True when one task of the job (needing `need`, run by `executor`) fits what is left of the agent's offers. */
export function fitsOffer(job: Job, need: Resources, executor: string, held: AgentOffers): boolean {
  return held.sample.executors.includes(executor) && held.remaining.contains(need) && meetsConstraints(job.constraints, held.sample);
}
