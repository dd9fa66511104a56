import { InputError } from '@pando/common';
import { jobKey, jobNameFromKey, jobNameProblem } from './job-name';
import { concurrencyPolicyOf, epsilonMsOf, jobKind, maxCompletionTimeMsOf, parseJob, type Job } from './job.schema';

const scheduled = (body: Record<string, unknown>): Job => parseJob(body, { kind: 'scheduled' });
const dependent = (body: Record<string, unknown>): Job => parseJob(body, { kind: 'dependent' });
const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err.details;
    throw err;
  }
  throw new Error('expected an InputError');
};

describe('parseJob', () => {
  it("fills in Chronos's defaults", () => {
    const job = scheduled({ name: 'sample', command: 'echo hi', schedule: 'R10/2012-10-01T05:52:00Z/PT2S' });
    expect(job).toMatchObject({
      shell: true,
      arguments: [],
      epsilon: 'PT60S',
      retries: 2,
      cpus: 0.1,
      mem: 128,
      disk: 256,
      disabled: false,
      concurrent: false,
      softError: false,
      scheduleTimeZone: '',
      successCount: 0,
      errorCount: 0,
      lastSuccess: '',
      lastError: '',
      errorsSinceLastSuccess: 0,
      environmentVariables: [],
      constraints: [],
    });
    expect(jobKind(job)).toBe('scheduled');
    expect(epsilonMsOf(job)).toBe(60_000);
    expect(concurrencyPolicyOf(job)).toBe('Forbid');
    expect(maxCompletionTimeMsOf(job)).toBeUndefined();
  });

  it('keeps known and unknown Chronos fields it does not act on, and round-trips', () => {
    const body = {
      name: 'camus_kafka2hdfs',
      command: '/srv/kafka_hdfs_job.bash',
      arguments: ['-verbose'],
      shell: false,
      epsilon: 'PT30M',
      executor: '',
      executorFlags: '',
      async: false,
      highPriority: true,
      uris: ['https://example.com/a.tgz'],
      fetch: [{ uri: 'https://example.com/b', cache: false, extract: true, executable: false }],
      runAsUser: 'batch',
      labels: { team: 'data' },
      schedule: 'R/2014-03-08T20:00:00.000Z/PT2H',
      environmentVariables: [{ name: 'JVMOPTS', value: '-Xmx1000m' }],
    };
    const job = scheduled(body);
    expect(job).toMatchObject(body);
    expect(scheduled(JSON.parse(JSON.stringify(job)) as Record<string, unknown>)).toEqual(job);
  });

  it('accepts numeric strings for resources as Chronos did, and 0 as "the default"', () => {
    const job = scheduled({ name: 'docker job', command: 'date', schedule: 'R/2014-09-25T17:22:00Z/PT2M', cpus: '0.5', mem: '512', disk: 0 });
    expect([job.cpus, job.mem, job.disk]).toEqual([0.5, 512, 256]);
  });

  it('parses a Docker container with its defaults', () => {
    const job = scheduled({
      name: 'dockerjob',
      command: '',
      schedule: 'R/2014-09-25T17:22:00Z/PT2M',
      container: { type: 'docker', image: 'libmesos/ubuntu', volumes: [{ containerPath: '/var/log/', hostPath: '/logs/', mode: 'rw' }], forcePullImage: 'true' },
    });
    expect(job.container).toEqual({
      type: 'DOCKER',
      image: 'libmesos/ubuntu',
      network: 'HOST',
      volumes: [{ containerPath: '/var/log/', hostPath: '/logs/', mode: 'RW' }],
      forcePullImage: true,
      parameters: [],
    });
  });

  it('takes a cron expression with a zone instead of an ISO schedule', () => {
    const job = scheduled({ name: 'nightly', command: 'backup', cron: '0 3 * * *', scheduleTimeZone: 'Europe/Berlin', concurrencyPolicy: 'Replace' });
    expect(job.cron).toBe('0 3 * * *');
    expect(concurrencyPolicyOf(job)).toBe('Replace');
  });

  it('parses a dependent job', () => {
    const job = dependent({ name: 'summary', command: 'hive', parents: ['export a', 'export-b'], maxCompletionTime: 'PT2H' });
    expect(jobKind(job)).toBe('dependent');
    expect(maxCompletionTimeMsOf(job)).toBe(7_200_000);
    expect(maxCompletionTimeMsOf(dependent({ name: 's', command: 'x', parents: ['a'], maxCompletionTime: 5000 }))).toBe(5000);
  });

  it('drops derived fields and nulls a client posts back from a GET', () => {
    const job = scheduled({ name: 'a', command: 'x', schedule: 'R/2026-01-01T00:00:00Z/P1D', nextRun: '2026-01-02T00:00:00.000Z', cron: null });
    expect(job).not.toHaveProperty('nextRun');
    expect(job).not.toHaveProperty('cron');
  });

  it('reports every bad field at once, each named with its problem', () => {
    const problems = problemsOf(() =>
      scheduled({
        name: 'bad\tname',
        command: 42,
        schedule: 'R/2026-13-01T00:00:00Z/P1D',
        scheduleTimeZone: 'Mars/Olympus_Mons',
        epsilon: 'soon',
        retries: -1,
        cpus: 'lots',
        concurrencyPolicy: 'Sometimes',
        container: { image: '' },
        environmentVariables: [{ name: 'A=B', value: '1' }],
        constraints: [['rack', 'NEAR', 'r1'], ['rack', 'LIKE', '(']],
        maxCompletionTime: 'P1M',
        lastSuccess: 'yesterday',
      }),
    );
    const fields = problems.map((p) => p.slice(0, p.indexOf(':')));
    expect(fields).toEqual(
      expect.arrayContaining([
        'name', 'command', 'schedule', 'scheduleTimeZone', 'epsilon', 'retries', 'cpus', 'concurrencyPolicy',
        'container.image', 'environmentVariables.0.name', 'constraints.0', 'constraints.1', 'maxCompletionTime', 'lastSuccess',
      ]),
    );
    expect(problems).toContain("scheduleTimeZone: 'Mars/Olympus_Mons' is not a known IANA time zone (like Europe/Berlin)");
    expect(problems.find((p) => p.startsWith('schedule:'))).toMatch(/not a valid date-time/);
    expect(problems.find((p) => p.startsWith('epsilon:'))).toMatch(/'soon' is not an ISO 8601 duration/);
  });

  it('names the fields in the message too', () => {
    expect(() => scheduled({ name: 'x', command: 'y', cron: '61 * * * *' })).toThrow(
      "invalid job 'x': cron: '61 * * * *' is not a valid cron expression: Constraint error, got value 61 expected range 0-59",
    );
  });

  it('requires exactly one of schedule and cron for a scheduled job', () => {
    expect(problemsOf(() => scheduled({ name: 'x', command: 'y' }))).toEqual([expect.stringMatching(/^schedule: required/)]);
    expect(problemsOf(() => scheduled({ name: 'x', command: 'y', schedule: 'R/2026-01-01T00:00:00Z/P1D', cron: '@daily' }))).toEqual([
      "schedule: give either 'schedule' (ISO 8601) or 'cron', not both",
    ]);
    expect(problemsOf(() => scheduled({ name: 'x', command: 'y', schedule: '0 3 * * *' }))).toEqual([
      expect.stringMatching(/^schedule: '0 3 \* \* \*' looks like a cron expression; put it in 'cron'/),
    ]);
    expect(problemsOf(() => scheduled({ name: 'x', command: 'y', cron: '@daily', parents: ['a'] }))).toEqual([
      expect.stringMatching(/^parents: a scheduled job has no parents/),
    ]);
  });

  it('requires parents, and no schedule, for a dependent job', () => {
    expect(problemsOf(() => dependent({ name: 'x', command: 'y' }))).toEqual(['parents: a dependent job needs at least one parent']);
    expect(problemsOf(() => dependent({ name: 'x', command: 'y', parents: [] }))).toEqual(['parents: a dependent job needs at least one parent']);
    expect(problemsOf(() => dependent({ name: 'x', command: 'y', parents: ['a'], cron: '@daily' }))).toEqual([
      expect.stringMatching(/^cron: a dependent job runs after its parents/),
    ]);
    expect(problemsOf(() => dependent({ name: 'x', command: 'y', parents: ['a', 'a', 'x'] }))).toEqual([
      "parents.1: 'a' is listed twice",
      'parents.2: a job cannot be its own parent (cycle x -> x)',
    ]);
  });

  it('refuses contradicting concurrent and concurrencyPolicy', () => {
    expect(problemsOf(() => scheduled({ name: 'x', command: 'y', cron: '@daily', concurrent: true, concurrencyPolicy: 'Forbid' }))).toEqual([
      "concurrencyPolicy: 'Forbid' contradicts concurrent: true",
    ]);
    expect(concurrencyPolicyOf(scheduled({ name: 'x', command: 'y', cron: '@daily', concurrent: true }))).toBe('Allow');
  });

  it('refuses a body that is not an object, and a missing name or command', () => {
    expect(problemsOf(() => parseJob([], { kind: 'scheduled' }))).toEqual(['(body): a job must be a JSON object']);
    expect(problemsOf(() => scheduled({ cron: '@daily' }))).toEqual(['name: required', 'command: required']);
  });
});

describe('job names', () => {
  it.each(['SAMPLE_JOB1', 'db_export-airbed_hostings', 'job #3.v2', 'a'])('accepts %j', (name) => {
    expect(jobNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['', 'must not be empty'],
    ['a/b', "not '/'"],
    ['a,b', "not ','"],
    ['tab\there', 'not tab'],
    ['new\nline', 'not newline'],
    [' padded', 'must not start or end with a space'],
    ['..', 'not a usable name'],
    ['é', "not 'é'"],
    ['x'.repeat(201), 'at most 200'],
  ])('refuses %j', (name, reason) => {
    expect(jobNameProblem(name)).toContain(reason);
  });

  it('encodes names as NATS KV keys, reversibly', () => {
    for (const name of ['SAMPLE_JOB1', 'job #3.v2', 'a b-c_d', '...x']) {
      const key = jobKey(name);
      expect(key).toMatch(/^[-_A-Za-z0-9]+$/);
      expect(jobNameFromKey(key)).toBe(name);
    }
    expect(jobKey('a')).not.toBe(jobKey('A'));
  });
});
