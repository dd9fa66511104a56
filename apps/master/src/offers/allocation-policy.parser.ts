import { isValidRole, ResourceParseError, Resources, UNRESERVED_ROLE } from '@pando/resources';

/** A role's quota as configured: it is owed `guarantee` and never holds more than `limit`. */
export interface RoleQuota {
  guarantee: Resources;
  /** Empty: no limit. */
  limit: Resources;
}

/**
 * `--weights web=1,batch=3`: roles separated by commas, each `role=weight` with a positive
 * number. Throws with every problem at once (the option reader names the flag).
 */
export function parseWeights(raw: string): Record<string, number> {
  const weights: Record<string, number> = {};
  const problems: string[] = [];
  for (const entry of entries(raw)) {
    const [role, value] = splitOnce(entry, '=');
    const weight = Number(value);
    if (!role || value === undefined) problems.push(`'${entry}' is not role=weight`);
    else if (!isQuotaRole(role)) problems.push(`'${role}' is not a valid role (nor may it be '*')`);
    else if (!Number.isFinite(weight) || weight <= 0) problems.push(`weight of '${role}' must be a positive number, got '${value}'`);
    else if (role in weights) problems.push(`role '${role}' is given twice`);
    else weights[role] = weight;
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return weights;
}

/**
 * `--quotas web=cpus:4;mem:1024/cpus:8;mem:2048,batch=/cpus:2`: roles separated by commas, each
 * `role=GUARANTEE[/LIMIT]` in Mesos's resource text. Quotas are unreserved scalars; a missing
 * guarantee means none, a missing limit means unlimited, and the guarantee may not exceed the limit.
 * (Commas are safe separators: quotas hold no ranges.)
 */
export function parseQuotas(raw: string): Record<string, RoleQuota> {
  const quotas: Record<string, RoleQuota> = {};
  const problems: string[] = [];
  for (const entry of entries(raw)) {
    const [role, value] = splitOnce(entry, '=');
    if (!role || value === undefined) {
      problems.push(`'${entry}' is not role=GUARANTEE[/LIMIT]`);
      continue;
    }
    if (!isQuotaRole(role)) problems.push(`'${role}' is not a valid role (nor may it be '*')`);
    if (role in quotas) problems.push(`role '${role}' is given twice`);
    const [guaranteeText = '', limitText = ''] = splitOnce(value, '/');
    const guarantee = parseScalars(`${role} guarantee`, guaranteeText, problems);
    const limit = parseScalars(`${role} limit`, limitText, problems);
    for (const name of guarantee.names()) {
      if (limit.names().includes(name) && guarantee.scalar(name) > limit.scalar(name)) {
        problems.push(`${role}: guarantee of ${name} (${guarantee.scalar(name)}) exceeds its limit (${limit.scalar(name)})`);
      }
    }
    quotas[role] = { guarantee, limit };
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return quotas;
}

function parseScalars(what: string, text: string, problems: string[]): Resources {
  if (text.trim() === '') return Resources.empty();
  let parsed: Resources;
  try {
    parsed = Resources.parse(text);
  } catch (err) {
    problems.push(`${what}: ${err instanceof ResourceParseError ? err.problems.join(', ') : String(err)}`);
    return Resources.empty();
  }
  for (const resource of parsed.toJson()) {
    if (resource.type !== 'SCALAR') problems.push(`${what}: '${resource.name}' is not a scalar`);
    if (resource.role !== undefined && resource.role !== UNRESERVED_ROLE) problems.push(`${what}: '${resource.name}' must not be reserved`);
  }
  return parsed;
}

function isQuotaRole(role: string): boolean {
  return role !== UNRESERVED_ROLE && isValidRole(role);
}

function entries(raw: string): string[] {
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text.trim(), undefined] : [text.slice(0, at).trim(), text.slice(at + 1).trim()];
}
