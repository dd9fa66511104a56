import { CONSTRAINT_OPERATORS, type Constraint, type ConstraintOperator } from './app.types';

/**
 * Marathon's placement constraints (`[field, operator, value?]`) evaluated against one offer,
 * given where the app's other tasks (running or staged) already are. `field` is `hostname` or
 * the name of an agent attribute; attribute values compare as strings (numbers as JS prints
 * them). An agent without the attribute satisfies only UNLIKE, as in Marathon.
 */

/** Where a task runs, or where an offer would put one. */
export interface Placement {
  hostname: string;
  attributes: Readonly<Record<string, string | number>>;
}

const INTEGER = /^-?\d+$/;
const OPERATOR_LIST = 'UNIQUE, CLUSTER, GROUP_BY, LIKE, MAX_PER, UNLIKE or IS';

/** Marathon's complaints about one constraint, empty when it is valid. */
export function validateConstraint(constraint: readonly string[]): string[] {
  if (constraint.length < 2 || constraint.length > 3) return ['Each constraint must have either 2 or 3 fields'];
  const [field, operator, value] = constraint as [string, string, string | undefined];
  if (field === '') return ['Missing field and operator'];
  if (!(CONSTRAINT_OPERATORS as readonly string[]).includes(operator)) {
    return [`Constraint operator must be one of the following ${OPERATOR_LIST}`];
  }
  switch (operator as ConstraintOperator) {
    case 'UNIQUE':
      return value !== undefined ? ['Value specified but not used'] : [];
    case 'CLUSTER':
      return [];
    case 'IS':
      return value === undefined || value === '' ? ['Missing value'] : [];
    case 'GROUP_BY':
      return value === undefined || INTEGER.test(value) ? [] : ['Value was specified but is not a number'];
    case 'MAX_PER':
      return value !== undefined && INTEGER.test(value) ? [] : ['Value was not specified or is not a number'];
    case 'LIKE':
    case 'UNLIKE':
      if (value === undefined) return ['A regular expression value must be provided'];
      return compileFullMatch(value) ? [] : [`'${value}' is not a valid regular expression`];
  }
}

/** True when the offer's agent satisfies every constraint. */
export function meetsConstraints(constraints: readonly Constraint[], offer: Placement, tasks: readonly Placement[]): boolean {
  return constraints.every((c) => meetsConstraint(c, offer, tasks));
}

/** The constraints the offer's agent does not satisfy (for diagnostics). */
export function unmetConstraints(constraints: readonly Constraint[], offer: Placement, tasks: readonly Placement[]): Constraint[] {
  return constraints.filter((c) => !meetsConstraint(c, offer, tasks));
}

export function meetsConstraint(constraint: Constraint, offer: Placement, tasks: readonly Placement[]): boolean {
  const [field, operator, value = ''] = constraint;
  const offered = fieldValue(field, offer);
  if (offered === undefined) return operator === 'UNLIKE';
  const valueOf = (task: Placement) => fieldValue(field, task);
  switch (operator) {
    case 'UNIQUE':
      return tasks.every((t) => valueOf(t) !== offered);
    case 'CLUSTER':
      // Without a value the first task picks the group and the others follow it.
      return (value === '' || value === offered) && tasks.every((t) => valueOf(t) === offered);
    case 'GROUP_BY':
      return groupByAllows(offered, tasks.map(valueOf), value === '' ? 0 : Number(value));
    case 'MAX_PER':
      return tasks.filter((t) => valueOf(t) === offered).length < Number(value);
    case 'LIKE':
      return compileFullMatch(value)?.test(offered) ?? false;
    case 'UNLIKE':
      return !(compileFullMatch(value)?.test(offered) ?? true);
    case 'IS':
      return offered === value;
  }
}

/**
 * Marathon's GROUP_BY: a value nobody uses yet is always welcome; a used value only when it is
 * (one of) the least used and at least `minimumGroups` values are in use, so that tasks spread
 * even over values that Marathon has not seen in an offer yet.
 */
function groupByAllows(offered: string, taskValues: ReadonlyArray<string | undefined>, minimumGroups: number): boolean {
  const groups = new Map<string | undefined, number>();
  for (const v of taskValues) groups.set(v, (groups.get(v) ?? 0) + 1);
  const inGroup = groups.get(offered);
  if (inGroup === undefined) return true;
  const smallest = Math.min(...groups.values());
  return groups.size >= Math.max(0, minimumGroups) && inGroup === smallest;
}

/** The string a constraint compares: the hostname, or an attribute as Mesos formats it. */
export function fieldValue(field: string, place: Placement): string | undefined {
  if (field === 'hostname') return place.hostname;
  const attr = place.attributes[field];
  return attr === undefined ? undefined : String(attr);
}

const regexCache = new Map<string, RegExp | null>();

/** Marathon matches the whole value (Java's String.matches), not a substring. */
function compileFullMatch(pattern: string): RegExp | undefined {
  let compiled = regexCache.get(pattern);
  if (compiled === undefined) {
    try {
      compiled = new RegExp(`^(?:${pattern})$`);
    } catch {
      compiled = null;
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, compiled);
  }
  return compiled ?? undefined;
}

/** Types a validated raw constraint. Call only after validateConstraint returned no problem. */
export function toConstraint(raw: readonly string[]): Constraint {
  const [field, operator, value] = raw as [string, ConstraintOperator, string | undefined];
  return value === undefined ? [field, operator] : [field, operator, value];
}
