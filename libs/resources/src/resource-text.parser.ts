import { isValidResourceName, isValidRole } from './names';
import { normalizeRanges, type Range } from './ranges';
import { parseScalarText } from './scalar';
import { isEntryEmpty, makeEntry, type EntryValue, type ResourceEntry } from './resource-entry';
import { reservationJsonSchema } from './resource.schema';
import { UNRESERVED_ROLE, type ReservationJson, type ResourceKind } from './resource.types';
import { indexOutsideParens, splitOutsideQuotes, structuralProblem } from './text-scan';

/**
 * Parser for the Mesos text form: `name[(role)]:value` tokens joined by ';', where value is a
 * scalar `4.5`, ranges `[1-2,5-9]` or a set `{a,b}`. Pando extends the role group with an
 * optional reservation JSON, `cpus(web,{"type":"DYNAMIC","principal":"ops"}):2`, so that every
 * bag survives a toString/parse round trip.
 */
export interface ParsedResourceText {
  entries: ResourceEntry[];
  problems: string[];
}

type Outcome<T> = { ok: true; value: T } | { ok: false; problems: string[] };
const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
const fail = <T>(...problems: string[]): Outcome<T> => ({ ok: false, problems });

interface Head {
  name: string;
  role: string;
  reservation: ReservationJson | undefined;
}

/** Parses the whole text, collecting every problem instead of stopping at the first. */
export function parseResourceText(text: string): ParsedResourceText {
  const entries: ResourceEntry[] = [];
  const problems: string[] = [];
  const kinds = new Map<string, ResourceKind>();
  for (const raw of splitOutsideQuotes(text, ';')) {
    const token = raw.trim();
    // Empty tokens ("cpus:1;") are skipped, as Mesos' tokenizer does.
    if (token === '') continue;
    const parsed = parseToken(token);
    if (!parsed.ok) {
      problems.push(...parsed.problems);
      continue;
    }
    const entry = parsed.value;
    const seen = kinds.get(entry.name);
    if (seen !== undefined && seen !== entry.kind) {
      problems.push(`${entry.name}: is both ${seen} and ${entry.kind}`);
      continue;
    }
    kinds.set(entry.name, entry.kind);
    if (!isEntryEmpty(entry)) entries.push(entry);
  }
  return { entries, problems };
}

function parseToken(token: string): Outcome<ResourceEntry> {
  const structural = structuralProblem(token);
  if (structural) return fail(`'${token}': ${structural}`);
  const colon = indexOutsideParens(token, ':');
  if (colon < 0) return fail(`'${token}': expected name:value`);
  const head = parseHead(token.slice(0, colon).trim());
  if (!head.ok) return fail(...head.problems.map((p) => `'${token}': ${p}`));
  const value = parseValue(token.slice(colon + 1).trim());
  if (!value.ok) return fail(...value.problems.map((p) => `${head.value.name}: ${p}`));
  return ok(makeEntry(head.value, value.value));
}

/** `name`, `name(role)` or `name(role,{reservation json})`. */
function parseHead(head: string): Outcome<Head> {
  const open = head.indexOf('(');
  const name = (open < 0 ? head : head.slice(0, open)).trim();
  if (!isValidResourceName(name)) return fail(`invalid name '${name}'`);
  if (open < 0) return ok({ name, role: UNRESERVED_ROLE, reservation: undefined });
  if (!head.endsWith(')')) return fail(`unexpected text after ')'`);
  const inner = head.slice(open + 1, -1);
  const comma = inner.indexOf(',');
  const role = (comma < 0 ? inner : inner.slice(0, comma)).trim();
  if (!isValidRole(role)) return fail(`invalid role '${role}'`);
  if (comma < 0) return ok({ name, role, reservation: undefined });
  if (role === UNRESERVED_ROLE) return fail(`a reservation needs a role other than '*'`);
  const reservation = parseReservation(inner.slice(comma + 1).trim());
  return reservation.ok ? ok({ name, role, reservation: reservation.value }) : reservation;
}

function parseReservation(text: string): Outcome<ReservationJson> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail(`reservation '${text}' is not JSON`);
  }
  const result = reservationJsonSchema.safeParse(json);
  if (!result.success) return fail(...result.error.issues.map((i) => `reservation ${i.path.join('.') || 'value'}: ${i.message}`));
  // Use the raw JSON rather than zod's copy: it keeps odd label keys such as "__proto__" intact.
  return ok(json as ReservationJson);
}

function parseValue(text: string): Outcome<EntryValue> {
  if (text === '') return fail('missing value');
  if (text.startsWith('[')) return parseRanges(text);
  if (text.startsWith('{')) return parseSet(text);
  const scalar = parseScalarText(text);
  return 'problem' in scalar ? fail(scalar.problem) : ok({ kind: 'SCALAR', millis: scalar.millis });
}

const RANGE = /^(\d+)\s*-\s*(\d+)$/;

function parseRanges(text: string): Outcome<EntryValue> {
  if (!text.endsWith(']')) return fail(`'${text}' is missing ']'`);
  const inner = text.slice(1, -1).trim();
  if (inner === '') return ok({ kind: 'RANGES', ranges: [] });
  const ranges: Range[] = [];
  const problems: string[] = [];
  for (const part of inner.split(',').map((p) => p.trim())) {
    const match = RANGE.exec(part);
    if (!match) {
      problems.push(`'${part}' is not a range`);
      continue;
    }
    const begin = Number(match[1]);
    const end = Number(match[2]);
    if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end)) problems.push(`'${part}' is too large`);
    else if (end < begin) problems.push(`range ${part} ends before it begins`);
    else ranges.push([begin, end]);
  }
  return problems.length > 0 ? fail(...problems) : ok({ kind: 'RANGES', ranges: normalizeRanges(ranges) });
}

function parseSet(text: string): Outcome<EntryValue> {
  if (!text.endsWith('}')) return fail(`'${text}' is missing '}'`);
  const inner = text.slice(1, -1).trim();
  if (inner === '') return ok({ kind: 'SET', items: new Set() });
  const items = new Set<string>();
  const problems: string[] = [];
  for (const part of splitOutsideQuotes(inner, ',').map((p) => p.trim())) {
    const item = parseSetItem(part);
    if (item.ok) items.add(item.value);
    else problems.push(...item.problems);
  }
  return problems.length > 0 ? fail(...problems) : ok({ kind: 'SET', items });
}

/** A bare word, or a JSON string for items holding separators or spaces. */
function parseSetItem(part: string): Outcome<string> {
  if (part === '') return fail('empty set item');
  if (part.startsWith('"')) {
    try {
      const value: unknown = JSON.parse(part);
      if (typeof value === 'string') return ok(value);
    } catch {
      // reported below
    }
    return fail(`set item ${part} is not a valid JSON string`);
  }
  if (/["{}[\]]/.test(part)) return fail(`set item '${part}' must be quoted`);
  return ok(part);
}
