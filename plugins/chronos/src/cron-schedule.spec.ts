import fc from 'fast-check';
import { CronSchedule } from './cron-schedule';
import { parseSchedule } from './job-schedule';
import type { Schedule } from './schedule';

const cron = (expression: string, timeZone = ''): Schedule => CronSchedule.parse(expression, { timeZone, hashSeed: 'job' });
const at = (text: string) => Date.parse(text);
const take = (schedule: Schedule, from: string, n: number): string[] => {
  const out: string[] = [];
  for (let t: number | undefined = at(from); out.length < n; ) {
    t = schedule.next(t);
    if (t === undefined) break;
    out.push(new Date(t).toISOString());
  }
  return out;
};
const takeBack = (schedule: Schedule, from: string, n: number): string[] => {
  const out: string[] = [];
  for (let t: number | undefined = at(from); out.length < n; ) {
    t = schedule.previous(t);
    if (t === undefined) break;
    out.push(new Date(t).toISOString());
    t -= 1;
  }
  return out;
};

describe('CronSchedule', () => {
  it('reads 5 fields (minute first) and 6 fields (seconds first)', () => {
    expect(take(cron('*/15 * * * *'), '2026-01-01T00:07:00Z', 2)).toEqual(['2026-01-01T00:15:00.000Z', '2026-01-01T00:30:00.000Z']);
    expect(take(cron('30 */15 * * * *'), '2026-01-01T00:07:00Z', 2)).toEqual(['2026-01-01T00:15:30.000Z', '2026-01-01T00:30:30.000Z']);
  });

  it.each([
    ['@hourly', '2026-01-01T01:00:00.000Z'],
    ['@daily', '2026-01-02T00:00:00.000Z'],
    ['@midnight', '2026-01-02T00:00:00.000Z'],
    ['@weekly', '2026-01-04T00:00:00.000Z'], // Sunday
    ['@monthly', '2026-02-01T00:00:00.000Z'],
    ['@yearly', '2027-01-01T00:00:00.000Z'],
    ['@annually', '2027-01-01T00:00:00.000Z'],
  ])('understands %s', (shortcut, first) => {
    expect(take(cron(shortcut), '2026-01-01T00:00:00Z', 1)).toEqual([first]);
  });

  it('matches day of month OR day of week when both are restricted, as cron does', () => {
    expect(take(cron('0 0 1 * 1'), '2026-02-01T00:00:00Z', 5)).toEqual([
      '2026-02-02T00:00:00.000Z',
      '2026-02-09T00:00:00.000Z',
      '2026-02-16T00:00:00.000Z',
      '2026-02-23T00:00:00.000Z',
      '2026-03-01T00:00:00.000Z',
    ]);
  });

  it('evaluates the expression on the wall clock of the zone', () => {
    expect(take(cron('0 9 * * 1-5', 'Asia/Tokyo'), '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-01-02T00:00:00.000Z', // Friday 09:00 JST
      '2026-01-05T00:00:00.000Z', // Monday
    ]);
  });

  describe('spring forward: a wall time that does not exist is skipped', () => {
    it('skips 02:30 on 2026-03-08 in New York (cron-parser alone would run it at 03:30)', () => {
      expect(take(cron('30 2 * * *', 'America/New_York'), '2026-03-06T12:00:00Z', 3)).toEqual([
        '2026-03-07T07:30:00.000Z', // 02:30 EST
        '2026-03-09T06:30:00.000Z', // 02:30 EDT
        '2026-03-10T06:30:00.000Z',
      ]);
    });

    it('skips 02:30 on 2026-03-29 in Berlin', () => {
      expect(take(cron('30 2 * * *', 'Europe/Berlin'), '2026-03-27T12:00:00Z', 2)).toEqual([
        '2026-03-28T01:30:00.000Z', // 02:30 CET
        '2026-03-30T00:30:00.000Z', // 02:30 CEST
      ]);
    });

    it('has no 02:xx run for an hourly job, and keeps 01:00 and 03:00', () => {
      expect(take(cron('0 * * * *', 'America/New_York'), '2026-03-08T05:30:00Z', 3)).toEqual([
        '2026-03-08T06:00:00.000Z', // 01:00 EST
        '2026-03-08T07:00:00.000Z', // 03:00 EDT
        '2026-03-08T08:00:00.000Z', // 04:00 EDT
      ]);
    });

    it('skips the same instants walking backwards', () => {
      expect(takeBack(cron('30 2 * * *', 'America/New_York'), '2026-03-09T12:00:00Z', 2)).toEqual([
        '2026-03-09T06:30:00.000Z',
        '2026-03-07T07:30:00.000Z',
      ]);
    });
  });

  describe('fall back: a repeated wall time runs once, at the first instant', () => {
    it('runs 01:30 once on 2026-11-01 in New York', () => {
      const s = cron('30 1 * * *', 'America/New_York');
      expect(take(s, '2026-10-31T12:00:00Z', 2)).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
      // cron-parser's prev() alone returns both 05:30Z and 06:30Z.
      expect(takeBack(s, '2026-11-02T12:00:00Z', 2)).toEqual(['2026-11-02T06:30:00.000Z', '2026-11-01T05:30:00.000Z']);
    });

    it('runs 02:30 once on 2026-10-25 in Berlin', () => {
      expect(take(cron('30 2 * * *', 'Europe/Berlin'), '2026-10-24T12:00:00Z', 2)).toEqual([
        '2026-10-25T00:30:00.000Z', // 02:30 CEST
        '2026-10-26T01:30:00.000Z', // 02:30 CET
      ]);
    });

    it('runs the repeated hour of an hourly or half-hourly job once', () => {
      expect(take(cron('0 * * * *', 'Europe/Berlin'), '2026-10-24T23:30:00Z', 3)).toEqual([
        '2026-10-25T00:00:00.000Z', // 02:00 CEST
        '2026-10-25T02:00:00.000Z', // 03:00 CET; 02:00 CET (01:00Z) is a repeat
        '2026-10-25T03:00:00.000Z',
      ]);
      expect(take(cron('*/30 * * * *', 'America/New_York'), '2026-11-01T04:45:00Z', 4)).toEqual([
        '2026-11-01T05:00:00.000Z', // 01:00 EDT
        '2026-11-01T05:30:00.000Z', // 01:30 EDT
        '2026-11-01T07:00:00.000Z', // 02:00 EST
        '2026-11-01T07:30:00.000Z',
      ]);
    });

    it('finds the latest run from inside the repeated hour', () => {
      const s = cron('*/30 * * * *', 'America/New_York');
      // 06:10Z is 01:10 EST, the second pass: 01:30 EDT (05:30Z) already ran and is the latest.
      expect(s.previous(at('2026-11-01T06:10:00Z'))).toBe(at('2026-11-01T05:30:00Z'));
      expect(s.next(at('2026-11-01T06:10:00Z'))).toBe(at('2026-11-01T07:00:00Z'));
    });
  });

  it('copes with 30-minute DST shifts (Australia/Lord_Howe), where cron-parser prev() gives up', () => {
    const s = cron('15 2 * * *', 'Australia/Lord_Howe');
    // 2026-10-04 02:00 -> 02:30: 02:15 does not exist that day.
    expect(takeBack(s, '2026-10-05T00:00:00Z', 2)).toEqual(['2026-10-04T15:15:00.000Z', '2026-10-02T15:45:00.000Z']);
  });

  it('picks the same value for H on every parse of a job, seeded with its name', () => {
    const a = parseSchedule({ name: 'nightly', cron: 'H 3 * * *', scheduleTimeZone: '' }, { createdAtMs: 0 });
    const b = parseSchedule({ name: 'nightly', cron: 'H 3 * * *', scheduleTimeZone: '' }, { createdAtMs: 0 });
    expect(a.next(0)).toBe(b.next(0));
  });

  it.each([
    ['', '0 fields'],
    ['* * *', '3 fields'],
    ['* * * * * * *', '7 fields'],
    ['61 * * * *', 'expected range 0-59'],
    ['*/0 * * * *', 'every 0'],
    ['@reboot', 'not a supported shortcut'],
    ['0 0 31 2 *', 'not a valid cron expression'],
    ['0 0 31 4 *', 'not a valid cron expression'], // April has 30 days
  ])('refuses %j', (expression, reason) => {
    expect(() => cron(expression)).toThrow(reason);
    expect(() => parseSchedule({ name: 'j', cron: expression, scheduleTimeZone: '' }, { createdAtMs: 0 })).toThrow(/cron: /);
  });

  describe('next and previous agree across DST', () => {
    const schedules = {
      '*/30 New York': cron('*/30 * * * *', 'America/New_York'),
      '30 2 New York': cron('30 2 * * *', 'America/New_York'),
      '0 * Berlin': cron('0 * * * *', 'Europe/Berlin'),
      '15 2 Lord Howe': cron('15 2 * * *', 'Australia/Lord_Howe'),
    };
    it.each(Object.entries(schedules))('%s', (_, s) => {
      // Around the 2026 transitions, where the interesting cases are.
      const around = (iso: string) => fc.integer({ min: at(iso) - 2 * 86_400_000, max: at(iso) + 2 * 86_400_000 });
      const times = fc.oneof(around('2026-03-08T07:00:00Z'), around('2026-11-01T06:00:00Z'), around('2026-03-29T01:00:00Z'),
        around('2026-10-25T01:00:00Z'), around('2026-10-04T15:00:00Z'), around('2026-04-05T15:00:00Z'));
      fc.assert(
        fc.property(times, (t) => {
          const next = s.next(t)!;
          const previous = s.previous(t)!;
          expect(next).toBeGreaterThan(t);
          expect(previous).toBeLessThanOrEqual(t);
          expect(s.previous(next)).toBe(next);
          expect(s.next(previous)).toBe(next);
        }),
        { numRuns: 200 },
      );
    });
  });
});
