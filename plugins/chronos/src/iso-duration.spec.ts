import { fixedDurationMs, parseFixedDurationMs, parseIsoDuration } from './iso-duration';

describe('ISO 8601 durations', () => {
  it('parses every component, fractions of seconds included', () => {
    expect(parseIsoDuration('P1Y2M3W4DT5H6M7.25S')).toEqual({
      years: 1, months: 2, weeks: 3, days: 4, hours: 5, minutes: 6, millis: 7250,
    });
    expect(parseFixedDurationMs('PT2S')).toBe(2000);
    expect(parseFixedDurationMs('PT1H30M')).toBe(5_400_000);
    expect(parseFixedDurationMs('P1DT12H')).toBe(36 * 3_600_000);
  });

  it.each(['', 'P', 'PT', 'P1DT', '1D', 'PT-1S', 'P1.5D', 'PT1H2H', 'pt1s', 'P1S'])('refuses %j', (text) => {
    expect(parseIsoDuration(text)).toHaveProperty('error');
  });

  it('has no fixed length with years or months', () => {
    const month = parseIsoDuration('P1M');
    expect('error' in month ? undefined : fixedDurationMs(month)).toBeUndefined();
    expect(parseFixedDurationMs('P1M')).toEqual({ error: expect.stringContaining('years or months') });
  });
});
