import { addCalendar, ianaZone, isValidTimeZone, offsetAt, resolveWall, wallAt, wallToInstantLenient } from './zoned-time';

const HOUR = 3_600_000;
const NEW_YORK = ianaZone('America/New_York');
const BERLIN = ianaZone('Europe/Berlin');

describe('zoned time', () => {
  it('knows IANA zones and refuses made-up ones', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
    expect(isValidTimeZone('+01:00')).toBe(false);
  });

  it('reads offsets on both sides of a DST change', () => {
    expect(offsetAt(NEW_YORK, Date.UTC(2026, 0, 15))).toBe(-5 * HOUR);
    expect(offsetAt(NEW_YORK, Date.UTC(2026, 6, 15))).toBe(-4 * HOUR);
    expect(offsetAt(BERLIN, Date.UTC(2026, 0, 15))).toBe(1 * HOUR);
    expect(wallAt(BERLIN, Date.UTC(2026, 6, 15, 10))).toBe(Date.UTC(2026, 6, 15, 12));
  });

  it('reports a wall time that does not exist on the spring-forward day as a gap', () => {
    expect(resolveWall(NEW_YORK, Date.UTC(2026, 2, 8, 2, 30))).toEqual({ kind: 'gap' });
    expect(resolveWall(BERLIN, Date.UTC(2026, 2, 29, 2, 30))).toEqual({ kind: 'gap' });
    // java.time's rule for a single date-time: moved forward by the gap.
    expect(wallToInstantLenient(NEW_YORK, Date.UTC(2026, 2, 8, 2, 30))).toBe(Date.UTC(2026, 2, 8, 7, 30));
  });

  it('reports a wall time repeated on the fall-back day as ambiguous, earlier instant first', () => {
    expect(resolveWall(NEW_YORK, Date.UTC(2026, 10, 1, 1, 30))).toEqual({
      kind: 'ambiguous',
      earlierMs: Date.UTC(2026, 10, 1, 5, 30),
      laterMs: Date.UTC(2026, 10, 1, 6, 30),
    });
    expect(resolveWall(BERLIN, Date.UTC(2026, 9, 25, 2, 30))).toEqual({
      kind: 'ambiguous',
      earlierMs: Date.UTC(2026, 9, 25, 0, 30),
      laterMs: Date.UTC(2026, 9, 25, 1, 30),
    });
    expect(resolveWall(BERLIN, Date.UTC(2026, 9, 25, 4))).toEqual({ kind: 'unique', instantMs: Date.UTC(2026, 9, 25, 3) });
  });

  it('adds calendar months clamping to the end of shorter months', () => {
    const jan31 = Date.UTC(2026, 0, 31, 9, 15);
    expect(addCalendar(jan31, 0, 1, 0)).toBe(Date.UTC(2026, 1, 28, 9, 15));
    expect(addCalendar(jan31, 0, 2, 0)).toBe(Date.UTC(2026, 2, 31, 9, 15));
    expect(addCalendar(Date.UTC(2024, 1, 29), 1, 0, 0)).toBe(Date.UTC(2025, 1, 28));
    expect(addCalendar(jan31, 0, 0, 1)).toBe(Date.UTC(2026, 1, 1, 9, 15));
    expect(addCalendar(Date.UTC(2026, 10, 30), 0, 3, 0)).toBe(Date.UTC(2027, 1, 28));
  });
});
