import { formatMillis, fromMillis, parseScalarText, toMillis } from './scalar';

describe('scalar fixed point', () => {
  it('rounds numbers to the nearest thousandth', () => {
    expect(toMillis(0.1)).toBe(100);
    expect(toMillis(0.0004)).toBe(0);
    expect(toMillis(0.0005)).toBe(1);
    // 1.0005 * 1000 is 1000.4999999999999 in doubles; the decimal the caller meant rounds up.
    expect(toMillis(1.0005)).toBe(1001);
    expect(toMillis(8192)).toBe(8_192_000);
  });

  it('parses decimal text exactly', () => {
    expect(parseScalarText('4')).toEqual({ millis: 4000 });
    expect(parseScalarText('0.5')).toEqual({ millis: 500 });
    expect(parseScalarText('1.0005')).toEqual({ millis: 1001 });
    expect(parseScalarText('1.00049999')).toEqual({ millis: 1000 });
    expect(parseScalarText('0.9999')).toEqual({ millis: 1000 });
  });

  it('refuses what is not a plain non-negative decimal', () => {
    expect(parseScalarText('x')).toEqual({ problem: "'x' is not a number" });
    expect(parseScalarText('1.2.3')).toEqual({ problem: "'1.2.3' is not a number" });
    expect(parseScalarText('1e3')).toEqual({ problem: "'1e3' is not a number" });
    expect(parseScalarText('.5')).toEqual({ problem: "'.5' is not a number" });
    expect(parseScalarText('-1')).toEqual({ problem: 'must not be negative' });
    expect(parseScalarText('1000000000000.001')).toEqual({ problem: "'1000000000000.001' is too large" });
  });

  it('formats without trailing zeros', () => {
    expect(formatMillis(4000)).toBe('4');
    expect(formatMillis(1500)).toBe('1.5');
    expect(formatMillis(300)).toBe('0.3');
    expect(formatMillis(1001)).toBe('1.001');
    expect(fromMillis(300)).toBe(0.3);
  });
});
