import { InputError } from '@pando/common';
import { parseContainerSpec, validateDockerTask } from './container-spec.validator';
import { parseDockerExecutorOptions } from './docker-executor.options';
import { dockerTaskInfo } from './testing/docker-task.fixtures';

const permissive = parseDockerExecutorOptions({
  'docker-volume-allow': '/srv/data:/var/lib/pando-volumes',
  'docker-allow-privileged': 'true',
  'docker-allow-capabilities': 'NET_ADMIN:SYS_TIME',
});
const strict = parseDockerExecutorOptions({});

describe('validateDockerTask', () => {
  it('accepts a minimal spec and a full one', () => {
    expect(validateDockerTask(dockerTaskInfo('t1'), strict)).toEqual([]);
    const task = dockerTaskInfo('t2', {
      res: { cpus: 1, mem: 128, ports: [31000, 31001] },
      command: { value: 'httpd -f -p 8080', shell: true },
      container: {
        type: 'DOCKER',
        docker: {
          image: 'registry.local:5000/team/web:1.2',
          pullPolicy: 'never',
          network: 'bridge',
          portMappings: [{ containerPort: 8080, hostPort: 0 }, { containerPort: 53, hostPort: 31001, protocol: 'udp' }],
          privileged: true,
          capabilities: ['cap_net_admin'],
          labels: { team: 'web' },
        },
        volumes: [{ hostPath: '/srv/data/web', containerPath: '/data', mode: 'RO' }],
      },
    });
    expect(validateDockerTask(task, permissive)).toEqual([]);
  });

  it('lists every problem at once', () => {
    const task = dockerTaskInfo('t3', {
      res: { cpus: 0.5, mem: 64, ports: [31000] },
      container: {
        type: 'DOCKER',
        docker: {
          image: 'Not An Image!',
          portMappings: [
            { containerPort: 80, hostPort: 32000 },
            { containerPort: 80, hostPort: 0 },
          ],
          privileged: true,
          capabilities: ['SYS_ADMIN'],
          labels: { 'pando.task-id': 'spoofed' },
        },
        volumes: [
          { hostPath: '/etc', containerPath: '/host-etc', mode: 'RW' },
          { hostPath: 'relative/dir', containerPath: '/data', mode: 'RO' },
        ],
      },
    });
    const problems = validateDockerTask(task, strict);
    const expected = [
      /docker\.image: 'Not An Image!' is not a valid image reference/,
      /volumes\.1\.hostPath: hostPath must be an absolute path/,
      /2 port mappings need as many host ports, but the task has 1/,
      /container port 80\/tcp is mapped twice/,
      /host port 32000 is not among the task's ports \(31000\)/,
      /volumes are not allowed on this agent/,
      /privileged containers are not allowed/,
      /capabilities not allowed on this agent: SYS_ADMIN/,
      /'pando.task-id' is set by the executor/,
    ];
    for (const pattern of expected) expect(problems.some((p) => pattern.test(p))).toBe(true);
    expect(problems.length).toBe(expected.length);
  });

  it('checks volumes against the allow-list on path-segment boundaries', () => {
    const volume = (hostPath: string) =>
      dockerTaskInfo('t4', { container: { type: 'DOCKER', docker: { image: 'busybox' }, volumes: [{ hostPath, containerPath: '/d', mode: 'RW' }] } });
    expect(validateDockerTask(volume('/srv/data'), permissive)).toEqual([]);
    expect(validateDockerTask(volume('/srv/data/x/y'), permissive)).toEqual([]);
    expect(validateDockerTask(volume('/srv/database'), permissive)).toEqual([expect.stringMatching(/outside the allowed prefixes/)]);
    expect(validateDockerTask(volume('/srv/data/../../etc'), permissive)).toEqual([expect.stringMatching(/must not contain '\.\.'/)]);
  });

  it('refuses a missing container, another container type and a contradicting pull policy', () => {
    expect(validateDockerTask(dockerTaskInfo('t5', { container: undefined }), strict)).toEqual([expect.stringMatching(/needs 'container'/)]);
    const mesos = dockerTaskInfo('t6', { container: { type: 'MESOS', docker: { image: 'busybox' } } });
    expect(validateDockerTask(mesos, strict)).toEqual([expect.stringMatching(/container type must be 'DOCKER' \(got "MESOS"\)/)]);
    const contradicting = dockerTaskInfo('t7', { container: { type: 'DOCKER', docker: { image: 'busybox', forcePullImage: true, pullPolicy: 'never' } } });
    expect(validateDockerTask(contradicting, strict)).toEqual([expect.stringMatching(/contradicts pullPolicy 'never'/)]);
  });

  it("refuses limits Docker cannot apply and port mappings with network 'none'", () => {
    const tiny = dockerTaskInfo('t8', { res: { cpus: 0.001, mem: 4 } });
    expect(validateDockerTask(tiny, strict)).toEqual([expect.stringMatching(/mem 4 MB is below/), expect.stringMatching(/cpus 0.001 is below/)]);
    expect(validateDockerTask(tiny, { ...strict, cpuMode: 'shares' })).toHaveLength(1);
    const none = dockerTaskInfo('t9', {
      res: { ports: [31000] },
      container: { type: 'DOCKER', docker: { image: 'busybox', network: 'none', portMappings: [{ containerPort: 80, hostPort: 0 }] } },
    });
    expect(validateDockerTask(none, strict)).toEqual([expect.stringMatching(/need network 'bridge'/)]);
  });

  it('accepts the image reference forms Docker accepts', () => {
    const ok = ['busybox', 'busybox:1.36', 'library/busybox', 'localhost:5000/a/b-c_d.e:tag', `nginx@sha256:${'a'.repeat(64)}`, 'a__b/c'];
    const bad = ['Busybox', 'team/App', 'busybox:', ':tag', 'a//b', 'busybox:-bad', 'with space'];
    for (const image of ok) expect(validateDockerTask(dockerTaskInfo('ok', { container: { type: 'DOCKER', docker: { image } } }), strict)).toEqual([]);
    for (const image of bad) expect(validateDockerTask(dockerTaskInfo('bad', { container: { type: 'DOCKER', docker: { image } } }), strict)).toHaveLength(1);
  });
});

describe('parseContainerSpec', () => {
  it('applies defaults', () => {
    const spec = parseContainerSpec(
      dockerTaskInfo('p1', { container: { type: 'DOCKER', docker: { image: 'busybox', portMappings: [{ containerPort: 80, hostPort: 0 }] } } }),
    );
    expect(spec.docker.network).toBe('bridge');
    expect(spec.docker.portMappings).toEqual([{ containerPort: 80, hostPort: 0, protocol: 'tcp' }]);
  });

  it('throws an InputError with every problem', () => {
    const task = dockerTaskInfo('p2', { container: { type: 'DOCKER', docker: { image: '', network: 'overlay' } } });
    expect(() => parseContainerSpec(task)).toThrow(InputError);
    try {
      parseContainerSpec(task);
    } catch (err) {
      expect((err as InputError).details).toHaveLength(2);
    }
  });
});
