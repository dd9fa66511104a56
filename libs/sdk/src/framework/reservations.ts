import { InputError } from '@pando/common';
import type { Operation } from '@pando/protocol';
import { isValidRole, Resources, UNRESERVED_ROLE, type ReservationJson, type ResourceJson } from '@pando/resources';

/** How a dynamic reservation is labelled and who made it. */
export interface ReservationOptions {
  /** The framework's principal; the master fills it in when omitted, and refuses another. */
  principal?: string;
  labels?: Record<string, string>;
}

/**
 * `resources` as they are once dynamically reserved to `role`: what a RESERVE names, and what a
 * task launched on them (in the same ACCEPT or from a later offer) must ask for. Roles and
 * reservations of the input are dropped first. Give the framework's principal when it has one,
 * so that a LAUNCH in the same ACCEPT names exactly what the RESERVE made. Pure; throws
 * InputError for an invalid or unreserved role.
 */
export function reservedFor(resources: Resources, role: string, options: ReservationOptions = {}): Resources {
  if (role === UNRESERVED_ROLE || !isValidRole(role)) throw new InputError(`cannot reserve for role '${role}': a reservation needs a role other than '*'`);
  const reservation: ReservationJson = { type: 'DYNAMIC' };
  if (options.principal !== undefined) reservation.principal = options.principal;
  if (options.labels && Object.keys(options.labels).length > 0) reservation.labels = { ...options.labels };
  const json: ResourceJson[] = resources
    .flatten()
    .toJson()
    .map((resource) => ({ ...resource, role, reservation }));
  return Resources.fromJson(json);
}

/**
 * A RESERVE operation for `driver.accept`: `reserved` (see reservedFor) out of the unreserved
 * resources of the offers. The reserved resources not used in the same ACCEPT are offered again,
 * to frameworks in the role only, until someone UNRESERVEs them.
 */
export function reserveOperation(reserved: Resources | readonly ResourceJson[]): Operation {
  return { type: 'RESERVE', reserve: { resources: toJson(reserved) } };
}

/** An UNRESERVE operation: dynamically reserved resources of the offers, named exactly as offered. */
export function unreserveOperation(reserved: Resources | readonly ResourceJson[]): Operation {
  return { type: 'UNRESERVE', unreserve: { resources: toJson(reserved) } };
}

function toJson(resources: Resources | readonly ResourceJson[]): ResourceJson[] {
  return resources instanceof Resources ? resources.toJson() : [...resources];
}
