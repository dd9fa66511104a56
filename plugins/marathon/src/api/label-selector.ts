/**
 * Marathon's label selector (`GET /v2/apps?label=...`): comma-separated terms, all of which must
 * hold: `key` (exists), `!key` (absent), `key==value`, `key!=value`, `key in (a, b)`,
 * `key notin (a, b)`. Commas inside parentheses belong to the set.
 */
export type LabelTerm =
  | { kind: 'exists' | 'absent'; key: string }
  | { kind: 'equals' | 'differs'; key: string; value: string }
  | { kind: 'in' | 'notin'; key: string; values: string[] };

export function parseLabelSelector(selector: string): LabelTerm[] {
  return splitTerms(selector).map(parseTerm);
}

export function matchesLabelSelector(terms: readonly LabelTerm[], labels: Readonly<Record<string, string>>): boolean {
  return terms.every((term) => {
    const value = labels[term.key];
    switch (term.kind) {
      case 'exists':
        return value !== undefined;
      case 'absent':
        return value === undefined;
      case 'equals':
        return value === term.value;
      case 'differs':
        return value !== term.value;
      case 'in':
        return value !== undefined && term.values.includes(value);
      case 'notin':
        return value === undefined || !term.values.includes(value);
    }
  });
}

function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t.length > 0);
}

function parseTerm(term: string): LabelTerm {
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
  if (set) return { kind: set[2] as 'in' | 'notin', key: set[1]!, values: set[3]!.split(',').map((v) => v.trim()) };
  const differs = term.indexOf('!=');
  if (differs > 0) return { kind: 'differs', key: term.slice(0, differs).trim(), value: term.slice(differs + 2).trim() };
  const equals = term.indexOf('==');
  if (equals > 0) return { kind: 'equals', key: term.slice(0, equals).trim(), value: term.slice(equals + 2).trim() };
  if (term.startsWith('!')) return { kind: 'absent', key: term.slice(1).trim() };
  return { kind: 'exists', key: term };
}
