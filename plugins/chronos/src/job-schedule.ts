import { InputError } from '@pando/common';
import { CronSchedule } from './cron-schedule';
import { Iso8601Schedule, parseIso8601 } from './iso8601-schedule';
import type { Job } from './job.schema';
import type { Schedule } from './schedule';
import { isValidTimeZone } from './zoned-time';

export interface ParseScheduleOptions {
  /**
   * When the job was first stored. An ISO schedule with an empty start (`R1//PT24H`, Chronos's
   * "start now") is anchored here; the service must persist it, or the anchor would move on every
   * restart.
   */
  readonly createdAtMs: number;
}

/**
 * The schedule of a scheduled job, from its `schedule` (ISO 8601) or `cron` field and its
 * `scheduleTimeZone`. Throws InputError naming the field when the text is not valid, or when the
 * job is a dependent one (it has no schedule).
 */
export function parseSchedule(job: Pick<Job, 'name' | 'schedule' | 'cron' | 'scheduleTimeZone'>, options: ParseScheduleOptions): Schedule {
  const timeZone = job.scheduleTimeZone ?? '';
  const fail = (field: string, reason: string): never => {
    throw new InputError(`invalid job '${job.name}': ${field}: ${reason}`, [`${field}: ${reason}`]);
  };
  if (timeZone !== '' && !isValidTimeZone(timeZone)) fail('scheduleTimeZone', `'${timeZone}' is not a known IANA time zone`);
  if (job.schedule !== undefined && job.cron !== undefined) fail('schedule', "give either 'schedule' or 'cron', not both");
  if (job.cron !== undefined) {
    try {
      return CronSchedule.parse(job.cron, { timeZone, hashSeed: job.name });
    } catch (err) {
      return fail('cron', err instanceof Error ? err.message : String(err));
    }
  }
  if (job.schedule === undefined) return fail('schedule', 'a dependent job has no schedule');
  const parsed = parseIso8601(job.schedule);
  if ('error' in parsed) return fail('schedule', parsed.error);
  return new Iso8601Schedule(job.schedule, parsed, { timeZone, createdAtMs: options.createdAtMs });
}
