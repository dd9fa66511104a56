/** The three Mesos value kinds a resource can carry. */
export type ResourceKind = 'SCALAR' | 'RANGES' | 'SET';

/**
 * How a resource is reserved. A role other than '*' without a reservation object is a STATIC
 * reservation (agent config), so `{ type: 'STATIC' }` with no principal or labels is the same thing.
 */
export interface ReservationJson {
  type: 'STATIC' | 'DYNAMIC';
  principal?: string;
  labels?: Record<string, string>;
}

/** Mesos v1 JSON shape of one resource: the wire form used in every message. */
export interface ResourceJson {
  name: string;
  type: ResourceKind;
  scalar?: { value: number };
  ranges?: { range: Array<{ begin: number; end: number }> };
  set?: { item: string[] };
  /** Absent or '*' means unreserved. */
  role?: string;
  reservation?: ReservationJson;
}

/** The role of unreserved resources. */
export const UNRESERVED_ROLE = '*';
