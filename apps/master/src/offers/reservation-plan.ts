import { InputError } from '@pando/common';
import { Resources, UNRESERVED_ROLE, type ReservationJson, type ResourceJson } from '@pando/resources';

/** What RESERVE/UNRESERVE checks need to know; the mutable bags change as operations apply. */
export interface ReservationContext {
  framework: { id: string; roles: readonly string[]; principal?: string | undefined };
  agentId: string;
  /** What the ACCEPT's offers have left (shared with the LAUNCH checks; mutated). */
  remaining: Resources;
  /** The offers' resources per allocation role, as operations transform them (mutated). */
  offeredByRole: Map<string, Resources>;
  /** The agent's dynamic reservations, as operations change them (mutated). */
  reservations: Resources;
}

/**
 * One change the allocator must book: `from` (allocated to the framework on the agent, in
 * allocation role `role`) becomes `to`; the agent's reservation list changes the same way.
 */
export interface Conversion {
  type: 'RESERVE' | 'UNRESERVE';
  role: string | undefined;
  from: Resources;
  to: Resources;
}

/**
 * RESERVE, as in Mesos: `resources` are named as they will be once reserved, each with a role
 * that is one of the framework's roles; the reservation is DYNAMIC (given or implied) and carries
 * the framework's principal (filled in when omitted, refused when another). Their unreserved
 * equivalent must be in what the offers have left, and in the offers made in that role (a
 * framework reserves for the role it was offered in). On success the context is updated and the
 * conversions (one per role) are returned; on any problem nothing changes and the InputError
 * lists every problem.
 */
export function planReserve(resources: readonly ResourceJson[], ctx: ReservationContext): Conversion[] | InputError {
  const problems: string[] = [];
  const { framework } = ctx;
  const byRole = new Map<string, ResourceJson[]>();
  resources.forEach((resource, index) => {
    const role = resource.role ?? UNRESERVED_ROLE;
    const label = `resources[${index}] (${resource.name})`;
    const own: string[] = [];
    if (role === UNRESERVED_ROLE) own.push(`${label} names no role to reserve for (its role is '*')`);
    else if (!framework.roles.includes(role)) {
      own.push(`${label}: role '${role}' is not one of the framework's roles (${framework.roles.join(', ')})`);
    }
    const reservation = resource.reservation;
    if (reservation?.type === 'STATIC') own.push(`${label}: RESERVE makes DYNAMIC reservations (static ones come from the agent's resources)`);
    const principal = reservation?.principal;
    if (principal !== undefined && principal !== framework.principal) {
      own.push(
        framework.principal === undefined
          ? `${label}: the reservation names principal '${principal}' but the framework has none`
          : `${label}: the reservation names principal '${principal}', not the framework's principal '${framework.principal}'`,
      );
    }
    problems.push(...own);
    if (own.length > 0) return;
    const list = byRole.get(role) ?? [];
    list.push({ ...resource, role, reservation: dynamicReservation(framework.principal, reservation?.labels) });
    byRole.set(role, list);
  });
  if (problems.length === 0 && byRole.size === 0) problems.push('RESERVE names no resources');
  if (problems.length > 0) return refusal('RESERVE', problems);

  const conversions: Conversion[] = [];
  const scratch = copy(ctx.remaining);
  for (const [role, list] of byRole) {
    const to = Resources.fromJson(list);
    const from = to.flatten();
    if (to.isEmpty()) {
      problems.push(`the resources for role '${role}' are all zero`);
      continue;
    }
    const offered = ctx.offeredByRole.get(role);
    if (!offered) {
      problems.push(`none of the offers was made in role '${role}' (they were made in: ${[...ctx.offeredByRole.keys()].join(', ')}); a framework reserves for the role it was offered in`);
    } else if (!offered.contains(from)) {
      problems.push(`reserving '${from.toString()}' for role '${role}' exceeds what the offers made in role '${role}' hold unreserved ('${offered.unreserved().toString() || 'nothing'}')`);
    }
    if (!scratch.contains(from)) {
      problems.push(`reserving '${from.toString()}' for role '${role}' exceeds what the offers have left unreserved ('${scratch.unreserved().toString() || 'nothing'}')`);
    } else {
      scratch.subtractInPlace(from);
    }
    conversions.push({ type: 'RESERVE', role, from, to });
  }
  if (problems.length > 0) return refusal('RESERVE', problems);
  for (const conversion of conversions) apply(conversion, ctx);
  return conversions;
}

/**
 * UNRESERVE: `resources` must be dynamically reserved resources the offers have left, named
 * exactly as offered (role and reservation), and reservations made on this agent. They become
 * unreserved resources of the same offers. Same all-or-nothing rule as planReserve.
 */
export function planUnreserve(resources: readonly ResourceJson[], ctx: ReservationContext): Conversion[] | InputError {
  const problems: string[] = [];
  resources.forEach((resource, index) => {
    const role = resource.role ?? UNRESERVED_ROLE;
    const label = `resources[${index}] (${resource.name})`;
    if (role === UNRESERVED_ROLE) problems.push(`${label} is not reserved (its role is '*')`);
    else if (resource.reservation?.type !== 'DYNAMIC') {
      problems.push(`${label} is reserved to '${role}' statically (by the agent's resources); only dynamic reservations can be unreserved`);
    }
  });
  const from = Resources.fromJson(resources);
  if (problems.length === 0 && from.isEmpty()) problems.push('UNRESERVE names no resources');
  if (problems.length > 0) return refusal('UNRESERVE', problems);
  if (!ctx.remaining.contains(from)) {
    const reserved = ctx.remaining.filter((r) => r.reservation?.type === 'DYNAMIC');
    problems.push(`'${from.toString()}' is not in what the offers have left (dynamically reserved there: '${reserved.toString() || 'nothing'}')`);
  }
  if (!ctx.reservations.contains(from)) problems.push(`'${from.toString()}' is not a dynamic reservation of agent ${ctx.agentId}`);
  if (problems.length > 0) return refusal('UNRESERVE', problems);
  const role = [...ctx.offeredByRole].find(([, offered]) => offered.contains(from))?.[0];
  const conversion: Conversion = { type: 'UNRESERVE', role, from, to: from.flatten() };
  apply(conversion, ctx);
  return [conversion];
}

function apply(conversion: Conversion, ctx: ReservationContext): void {
  const { from, to, role } = conversion;
  ctx.remaining.subtractInPlace(from).addInPlace(to);
  const offered = role === undefined ? undefined : ctx.offeredByRole.get(role);
  if (offered?.contains(from)) offered.subtractInPlace(from).addInPlace(to);
  if (conversion.type === 'RESERVE') ctx.reservations.addInPlace(to);
  else ctx.reservations.subtractInPlace(from);
}

function dynamicReservation(principal: string | undefined, labels: Record<string, string> | undefined): ReservationJson {
  const reservation: ReservationJson = { type: 'DYNAMIC' };
  if (principal !== undefined) reservation.principal = principal;
  if (labels && Object.keys(labels).length > 0) reservation.labels = labels;
  return reservation;
}

function refusal(type: 'RESERVE' | 'UNRESERVE', problems: string[]): InputError {
  return new InputError(`${type} refused: ${problems.join('; ')}`, problems);
}

function copy(resources: Resources): Resources {
  return Resources.empty().addInPlace(resources);
}
