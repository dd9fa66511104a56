import fc from 'fast-check';
import { InputError } from '@pando/common';
import { parseSchedule } from './job-schedule';
import type { Schedule } from './schedule';

const iso = (schedule: string, scheduleTimeZone = '', createdAtMs = 0): Schedule =>
  parseSchedule({ name: 'job', schedule, scheduleTimeZone }, { createdAtMs });
const at = (text: string) => Date.parse(text);
const take = (schedule: Schedule, afterMs: number, n: number): string[] => {
  const out: string[] = [];
  for (let t: number | undefined = afterMs; out.length < n; ) {
    t = schedule.next(t);
    if (t === undefined) break;
    out.push(new Date(t).toISOString());
  }
  return out;
};

describe('Iso8601Schedule', () => {
  it('repeats forever from a start in the past, counting from the start', () => {
    const s = iso('R/2026-01-01T00:00:00Z/PT2S');
    expect(s.next(at('2026-01-01T00:00:05Z'))).toBe(at('2026-01-01T00:00:06Z'));
    expect(s.next(at('2026-01-01T00:00:06Z'))).toBe(at('2026-01-01T00:00:08Z'));
    expect(s.previous(at('2026-01-01T00:00:05.999Z'))).toBe(at('2026-01-01T00:00:04Z'));
    expect(s.previous(at('2026-01-01T00:00:06Z'))).toBe(at('2026-01-01T00:00:06Z'));
    expect(s.next(at('2025-12-31T00:00:00Z'))).toBe(at('2026-01-01T00:00:00Z'));
    expect(s.previous(at('2025-12-31T23:59:59Z'))).toBeUndefined();
    expect(s.count(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:01:00Z'), 1000)).toBe(30);
  });

  it('runs a finite schedule n times counting the start, then has no next', () => {
    const s = iso('R3/2026-01-01T00:00:00Z/PT1H');
    expect(take(s, at('2025-01-01T00:00:00Z'), 10)).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T01:00:00.000Z',
      '2026-01-01T02:00:00.000Z',
    ]);
    expect(s.next(at('2026-01-01T02:00:00Z'))).toBeUndefined();
    expect(s.previous(at('2027-01-01T00:00:00Z'))).toBe(at('2026-01-01T02:00:00Z'));
    expect(s.count(0, at('2027-01-01T00:00:00Z'), 1000)).toBe(3);
  });

  it('never runs R0', () => {
    const s = iso('R0/2026-01-01T00:00:00Z/PT1H');
    expect(s.next(0)).toBeUndefined();
    expect(s.previous(at('2030-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('waits for a start in the future', () => {
    const s = iso('R/2030-06-01T12:00:00Z/P1D');
    expect(s.next(at('2026-01-01T00:00:00Z'))).toBe(at('2030-06-01T12:00:00Z'));
    expect(s.previous(at('2026-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('anchors an empty start (Chronos: start now) at the creation instant', () => {
    const created = at('2026-04-01T10:11:12.345Z');
    const s = iso('R1//PT24H', '', created);
    expect(s.next(created - 1)).toBe(created);
    expect(s.next(created)).toBeUndefined();
    const repeating = iso('R//PT1H', '', created);
    expect(repeating.next(created + 1)).toBe(created + 3_600_000);
  });

  it('steps calendar months on the wall clock of the zone, from the start (no drift after short months)', () => {
    // With scheduleTimeZone the start's fields are Berlin wall time; the Z is ignored, as in Chronos.
    const s = iso('R/2026-01-31T09:00:00Z/P1M', 'Europe/Berlin');
    expect(take(s, 0, 4)).toEqual([
      '2026-01-31T08:00:00.000Z', // 09:00 CET
      '2026-02-28T08:00:00.000Z', // clamped to the end of February
      '2026-03-31T07:00:00.000Z', // 09:00 CEST: summer time began on March 29
      '2026-04-30T07:00:00.000Z',
    ]);
  });

  it('finds month occurrences decades after the start without walking from it', () => {
    const s = iso('R/2000-01-01T00:00:00Z/P1M');
    expect(s.next(at('2026-06-15T00:00:00Z'))).toBe(at('2026-07-01T00:00:00Z'));
    expect(s.previous(at('2026-06-15T00:00:00Z'))).toBe(at('2026-06-01T00:00:00Z'));
    expect(s.next(at('2026-07-01T00:00:00Z'))).toBe(at('2026-08-01T00:00:00Z'));
    expect(iso('R/2000-02-29T00:00:00Z/P1Y').next(at('2026-01-01T00:00:00Z'))).toBe(at('2026-02-28T00:00:00Z'));
  });

  it('uses a fixed offset from the designator when no zone is given', () => {
    const s = iso('R/2026-01-31T00:30:00+01:00/P1M');
    expect(take(s, 0, 2)).toEqual(['2026-01-30T23:30:00.000Z', '2026-02-27T23:30:00.000Z']);
  });

  it('skips a daily wall time that does not exist on the spring-forward day (New York)', () => {
    const s = iso('R/2026-03-06T02:30:00/P1D', 'America/New_York');
    expect(take(s, 0, 3)).toEqual([
      '2026-03-06T07:30:00.000Z',
      '2026-03-07T07:30:00.000Z',
      // 2026-03-08 02:30 does not exist in New York
      '2026-03-09T06:30:00.000Z',
    ]);
  });

  it('runs a daily wall time repeated on the fall-back day once, at the first instant (Berlin)', () => {
    const s = iso('R/2026-10-24T02:30:00/P1D', 'Europe/Berlin');
    expect(take(s, 0, 3)).toEqual([
      '2026-10-24T00:30:00.000Z', // CEST
      '2026-10-25T00:30:00.000Z', // the first 02:30 (CEST); the second (CET) does not run
      '2026-10-26T01:30:00.000Z', // CET
    ]);
  });

  it('treats hours, minutes and seconds as elapsed time across DST', () => {
    const s = iso('R/2026-11-01T00:00:00/PT1H', 'America/New_York');
    expect(take(s, 0, 4)).toEqual([
      '2026-11-01T04:00:00.000Z', // 00:00 EDT
      '2026-11-01T05:00:00.000Z', // 01:00 EDT
      '2026-11-01T06:00:00.000Z', // 01:00 EST: an hour later, same wall time
      '2026-11-01T07:00:00.000Z', // 02:00 EST
    ]);
  });

  it.each([
    ['2026-01-01T00:00:00Z/P1D', 'R[n]/<start>/<period>'],
    ['X/2026-01-01T00:00:00Z/P1D', 'repetitions'],
    ['R/2026-13-01T00:00:00Z/P1D', 'not a valid date-time'],
    ['R/2026-02-30T00:00:00Z/P1D', 'not a valid date-time'],
    ['R/yesterday/P1D', 'not an ISO 8601 date-time'],
    ['R/2026-01-01T00:00:00Z/1D', 'period'],
    ['R/2026-01-01T00:00:00Z/PT0S', 'longer than zero'],
  ])('refuses %j naming the schedule field', (text, reason) => {
    expect(() => iso(text)).toThrow(InputError);
    expect(() => iso(text)).toThrow(new RegExp(`schedule: .*${reason.replace(/[[\]]/g, '\\$&')}`));
  });

  it('refuses an unknown zone naming scheduleTimeZone', () => {
    expect(() => iso('R/2026-01-01T00:00:00Z/P1D', 'Europe/Atlantis')).toThrow(/scheduleTimeZone: 'Europe\/Atlantis'/);
  });

  describe('next and previous agree', () => {
    const schedules = {
      'P1M in Berlin': iso('R/2024-01-31T02:30:00/P1M', 'Europe/Berlin'),
      'P1D in New York': iso('R/2024-01-01T02:30:00/P1D', 'America/New_York'),
      'P1DT1H in New York': iso('R/2024-01-01T01:30:00/P1DT1H', 'America/New_York'),
      'PT90M': iso('R/2024-01-01T00:00:00Z/PT90M'),
      'R40 P1W': iso('R40/2025-01-01T00:00:00Z/P1W'),
    };
    it.each(Object.entries(schedules))('%s', (_, s) => {
      const range = fc.integer({ min: at('2023-06-01T00:00:00Z'), max: at('2028-01-01T00:00:00Z') });
      fc.assert(
        fc.property(range, (t) => {
          const next = s.next(t);
          const previous = s.previous(t);
          if (next !== undefined) {
            expect(next).toBeGreaterThan(t);
            expect(s.previous(next)).toBe(next);
          }
          if (previous !== undefined) {
            expect(previous).toBeLessThanOrEqual(t);
            expect(s.next(previous)).toBe(next);
          }
        }),
        { numRuns: 300 },
      );
    });
  });
});
