/**
 * Tiny scanner for the resource text form. Quoted JSON strings may appear in set items and
 * reservations, so separators inside them must be skipped; nothing else in the grammar nests.
 */

/** Calls `visit` for every character outside double-quoted strings; stops when it returns true. */
function scanOutsideQuotes(text: string, from: number, visit: (char: string, index: number) => boolean): boolean {
  let quoted = false;
  for (let i = from; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '\\') i++;
      else if (char === '"') quoted = false;
    } else if (char === '"') {
      quoted = true;
    } else if (visit(char, i)) {
      return quoted;
    }
  }
  return quoted;
}

/** Splits on `separator` wherever it is outside quotes. */
export function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  scanOutsideQuotes(text, 0, (char, index) => {
    if (char === separator) {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
    return false;
  });
  parts.push(text.slice(start));
  return parts;
}

/** Index of the first `target` outside quotes and outside parentheses, or -1. */
export function indexOutsideParens(text: string, target: string): number {
  let depth = 0;
  let found = -1;
  scanOutsideQuotes(text, 0, (char, index) => {
    if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === target && depth === 0) found = index;
    return found >= 0;
  });
  return found;
}

/** Describes what is structurally wrong (open quote, unbalanced parentheses), if anything. */
export function structuralProblem(text: string): string | undefined {
  let depth = 0;
  let negative = false;
  const unterminated = scanOutsideQuotes(text, 0, (char) => {
    if (char === '(') depth++;
    else if (char === ')' && --depth < 0) negative = true;
    return false;
  });
  if (unterminated) return 'unterminated string';
  if (depth !== 0 || negative) return 'unbalanced parentheses';
  return undefined;
}
