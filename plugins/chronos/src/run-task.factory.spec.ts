import { containerSpecSchema } from '@pando/protocol';
import { parseJob } from './job.schema';
import { buildRunTask, containerSpecOf, jobExecutor, jobResources, jobTaskProblems, RUN_ID_LABEL, shellQuote } from './run-task.factory';

const job = (body: Record<string, unknown>) => parseJob({ name: 'j', command: 'echo hi', schedule: 'R/2026-01-01T00:00:00Z/PT1M', ...body }, { kind: 'scheduled' });
const task = (body: Record<string, unknown>, args?: string[]) =>
  buildRunTask({ job: job(body), runId: 'ag-1000', taskId: 'ag-1000:0', attempt: 0, scheduledAtMs: 1000, agentId: 'a1', resources: jobResources(job(body)).toJson(), arguments: args });

describe('run tasks', () => {
  it('runs a shell command with the arguments quoted, the job env and Chronos variables, and the run id label', () => {
    const t = task({ arguments: ['a b', "it's"], environmentVariables: [{ name: 'MODE', value: 'fast' }], owner: 'me@x' });
    expect(t.command).toEqual({
      value: `echo hi 'a b' 'it'\\''s'`,
      shell: true,
      env: { CHRONOS_JOB_NAME: 'j', CHRONOS_JOB_OWNER: 'me@x', MODE: 'fast' },
    });
    expect(t).toMatchObject({ taskId: 'ag-1000:0', name: 'j', agentId: 'a1', executor: 'command', labels: { [RUN_ID_LABEL]: 'ag-1000' } });
  });

  it('runs an argv with shell: false, and manual-run arguments replace the job ones', () => {
    expect(task({ shell: false, command: '/bin/echo', arguments: ['x'] }, ['y', 'z']).command).toMatchObject({ value: '/bin/echo', shell: false, arguments: ['y', 'z'] });
    expect(shellQuote('plain-arg_1.txt')).toBe('plain-arg_1.txt');
  });

  it('maps a Chronos Docker container to the docker executor and a valid container spec', () => {
    const j = job({ command: '', container: { type: 'DOCKER', image: 'busybox:1.36', network: 'BRIDGE', volumes: [{ containerPath: '/data', hostPath: '/srv/data', mode: 'RO' }], forcePullImage: true } });
    expect(jobExecutor(j)).toBe('docker');
    const spec = containerSpecOf(j)!;
    expect(containerSpecSchema.safeParse(spec).success).toBe(true);
    expect(spec).toEqual({ type: 'DOCKER', docker: { image: 'busybox:1.36', forcePullImage: true, network: 'bridge' }, volumes: [{ hostPath: '/srv/data', containerPath: '/data', mode: 'RO' }] });
    const t = task({ command: '', container: { type: 'DOCKER', image: 'busybox' } });
    expect(t.command).toEqual({ shell: true, env: expect.objectContaining({ CHRONOS_JOB_NAME: 'j' }) });
  });

  it('names what keeps a container job from running on Pando', () => {
    expect(jobTaskProblems(job({ container: { image: 'busybox', network: 'USER', volumes: [{ containerPath: '/x' }] } }))).toEqual([
      "container.network: USER networks are not supported by Pando's Docker executor; use HOST or BRIDGE",
      'container.volumes.0.hostPath: required (Pando mounts host paths only)',
    ]);
    expect(jobTaskProblems(job({ container: { image: 'Not/An:Image:Ref' } }))[0]).toMatch(/^container\.image: /);
    expect(jobTaskProblems(job({}))).toEqual([]);
  });

  it('uses the job executor field as an executor plugin id, and refuses a Chronos executor path', () => {
    expect(jobExecutor(job({ executor: 'sim' }))).toBe('sim');
    expect(jobExecutor(job({ executor: '' }))).toBe('command');
    expect(() => job({ executor: '/usr/bin/my-executor' })).toThrow(/executor: '\/usr\/bin\/my-executor' must be empty or the id of an executor plugin/);
  });
});
