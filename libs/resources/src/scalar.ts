/**
 * Scalars are fixed point with three decimals, held as integer thousandths ("millis") so that
 * sums and differences are exact: 0.1 + 0.2 is 300 millis, never 0.30000000000000004.
 */

/** Largest scalar accepted (in units): keeps every sum of a few thousand values a safe integer. */
export const MAX_SCALAR = 1e12;
export const MAX_SCALAR_MILLIS = MAX_SCALAR * 1000;

/** Rounds a JS number to the nearest thousandth, as integer millis. */
export function toMillis(value: number): number {
  // Going through 15 significant digits first undoes binary noise: 1.0005 * 1000 is
  // 1000.4999999999999 in doubles, but the decimal the caller wrote rounds up to 1001.
  return Math.round(Number((value * 1000).toPrecision(15)));
}

/** Millis back to a JS number; division by 1000 yields the closest double, which prints cleanly. */
export function fromMillis(millis: number): number {
  return millis / 1000;
}

/** Text form without trailing zeros: 1500 -> "1.5", 4000 -> "4". */
export function formatMillis(millis: number): string {
  const whole = Math.trunc(millis / 1000);
  const fraction = millis % 1000;
  if (fraction === 0) return String(whole);
  return `${whole}.${String(fraction).padStart(3, '0').replace(/0+$/, '')}`;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

export type ScalarTextResult = { millis: number } | { problem: string };

/**
 * Parses a plain decimal ("4", "0.5", "1.0005") exactly from its digits, rounding half up at the
 * fourth decimal, so text input never suffers binary rounding at all.
 */
export function parseScalarText(text: string): ScalarTextResult {
  const match = DECIMAL.exec(text);
  if (!match) return { problem: `'${text}' is not a number` };
  if (match[1]) return { problem: 'must not be negative' };
  const whole = Number(match[2]);
  const digits = (match[3] ?? '').padEnd(4, '0');
  const millis = whole * 1000 + Number(digits.slice(0, 3)) + (digits[3]! >= '5' ? 1 : 0);
  if (millis > MAX_SCALAR_MILLIS) return { problem: `'${text}' is too large` };
  return { millis };
}
