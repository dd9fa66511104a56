import { Resources } from '@pando/resources';

/**
 * An agent's totals with its dynamic reservations applied: each reservation turns the same
 * quantity of unreserved resources the agent reports into resources reserved to its role. A
 * reservation the reported totals cannot hold any more (the agent came back smaller) is left out
 * whole and returned in `unapplied`; it stays on record and applies again once the agent reports
 * enough. Pure.
 */
export function applyDynamicReservations(reported: Resources, reservations: Resources): { total: Resources; unapplied: Resources } {
  const total = Resources.empty().addInPlace(reported);
  const unapplied = Resources.empty();
  if (reservations.isEmpty()) return { total, unapplied };
  for (const json of reservations.toJson()) {
    const reserved = Resources.fromJson([json]);
    const unreserved = reserved.flatten();
    if (total.unreserved().contains(unreserved)) total.subtractInPlace(unreserved).addInPlace(reserved);
    else unapplied.addInPlace(reserved);
  }
  return { total, unapplied };
}

/** The dynamically reserved part of a bag (what RESERVE made). */
export function dynamicallyReserved(resources: Resources): Resources {
  return resources.filter((r) => r.reservation?.type === 'DYNAMIC');
}
