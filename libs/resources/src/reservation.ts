import type { ReservationJson } from './resource.types';

/**
 * Canonical form of a reservation: a bare STATIC reservation becomes `undefined` (a role alone
 * already means static), labels are copied in key order, and the result is frozen so entries can
 * share it safely.
 */
export function normalizeReservation(reservation: ReservationJson | undefined): ReservationJson | undefined {
  if (!reservation) return undefined;
  // Object.fromEntries defines own properties, so a label called "__proto__" stays a label.
  const labelEntries = Object.entries(reservation.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const hasLabels = labelEntries.length > 0;
  if (reservation.type === 'STATIC' && reservation.principal === undefined && !hasLabels) return undefined;
  const out: ReservationJson = { type: reservation.type };
  if (reservation.principal !== undefined) out.principal = reservation.principal;
  if (hasLabels) out.labels = Object.freeze(Object.fromEntries(labelEntries));
  return Object.freeze(out);
}

/** Stable identity of a normalised reservation; '' for none. JSON keeps it injection-proof. */
export function reservationKey(reservation: ReservationJson | undefined): string {
  if (!reservation) return '';
  const labels = Object.entries(reservation.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([reservation.type, reservation.principal ?? null, labels]);
}

/** JSON for the text form: same key order every time so toString is deterministic. */
export function reservationText(reservation: ReservationJson): string {
  const ordered: Record<string, unknown> = { type: reservation.type };
  if (reservation.principal !== undefined) ordered['principal'] = reservation.principal;
  if (reservation.labels) ordered['labels'] = reservation.labels;
  return JSON.stringify(ordered);
}
