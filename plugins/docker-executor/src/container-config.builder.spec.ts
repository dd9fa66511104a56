import { Resources } from '@pando/resources';
import { buildContainerPlan, commandFor, computeLimits, containerName, normalizeImage, resolvePortMappings } from './container-config.builder';
import { parseContainerSpec } from './container-spec.validator';
import { dockerTaskInfo, launchOf, resourcesJson } from './testing/docker-task.fixtures';

describe('computeLimits', () => {
  const res = (cpus?: number, mem?: number) => Resources.fromJson(resourcesJson({ cpus, mem }));

  it('turns cpus into a hard quota and mem into memory without extra swap', () => {
    expect(computeLimits(res(1.5, 256), 'quota')).toEqual({ NanoCpus: 1_500_000_000, Memory: 268_435_456, MemorySwap: 268_435_456 });
  });

  it('uses CPU shares (1024 per CPU) in shares mode', () => {
    expect(computeLimits(res(0.25, 16), 'shares')).toEqual({ CpuShares: 256, Memory: 16_777_216, MemorySwap: 16_777_216 });
    expect(computeLimits(res(0.001), 'shares')).toEqual({ CpuShares: 2 });
  });

  it('caps a quota at the host CPUs and sets no limit for a missing resource', () => {
    expect(computeLimits(res(64), 'quota', 8)).toEqual({ NanoCpus: 8_000_000_000 });
    expect(computeLimits(res(), 'quota')).toEqual({});
  });
});

describe('resolvePortMappings', () => {
  it('keeps fixed host ports and gives hostPort 0 the lowest unused task port', () => {
    const mappings = [
      { containerPort: 80, hostPort: 0, protocol: 'tcp' as const },
      { containerPort: 443, hostPort: 31000, protocol: 'tcp' as const },
      { containerPort: 53, hostPort: 0, protocol: 'udp' as const },
    ];
    expect(resolvePortMappings(mappings, [31002, 31000, 31001])).toEqual([
      { containerPort: 80, hostPort: 31001, protocol: 'tcp' },
      { containerPort: 443, hostPort: 31000, protocol: 'tcp' },
      { containerPort: 53, hostPort: 31002, protocol: 'udp' },
    ]);
  });

  it('throws when the task has too few ports', () => {
    expect(() => resolvePortMappings([{ containerPort: 80, hostPort: 0, protocol: 'tcp' }], [])).toThrow(/no unused task port left/);
  });
});

describe('commandFor', () => {
  it('runs a shell command through /bin/sh -c in place of the entrypoint', () => {
    expect(commandFor({ value: 'echo $HOME', shell: true })).toEqual({ Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo $HOME'] });
  });

  it("passes an argv as the cmd, keeping the image's entrypoint", () => {
    expect(commandFor({ value: 'httpd', shell: false, arguments: ['-f', '-p', '80'] })).toEqual({ Cmd: ['httpd', '-f', '-p', '80'] });
    expect(commandFor({ shell: false, arguments: ['--verbose'] })).toEqual({ Cmd: ['--verbose'] });
    expect(commandFor(undefined)).toEqual({});
  });
});

describe('names and images', () => {
  it('maps task ids to valid, distinct container names', () => {
    expect(containerName('web:1')).toBe('pando-web.1');
    expect(containerName('web_1')).toBe('pando-web_1');
  });

  it('pins an untagged image to latest', () => {
    expect(normalizeImage('busybox')).toBe('busybox:latest');
    expect(normalizeImage('localhost:5000/app')).toBe('localhost:5000/app:latest');
    expect(normalizeImage('localhost:5000/app:2')).toBe('localhost:5000/app:2');
    expect(normalizeImage(`app@sha256:${'0'.repeat(64)}`)).toBe(`app@sha256:${'0'.repeat(64)}`);
  });
});

describe('buildContainerPlan', () => {
  const task = dockerTaskInfo('plan-1', {
    res: { cpus: 0.5, mem: 32, ports: [31000, 31001] },
    command: { value: 'httpd -f -p 8080', shell: true, env: { MODE: 'test' } },
    container: {
      type: 'DOCKER',
      docker: {
        image: 'pando/busybox',
        portMappings: [{ containerPort: 8080, hostPort: 0 }],
        labels: { team: 'web' },
        user: '1000:1000',
        workingDir: '/tmp',
        capabilities: ['cap_net_admin'],
        parameters: [{ key: 'ulimit', value: 'nofile=1024' }],
        stopGracePeriodMs: 1500,
      },
      volumes: [{ hostPath: '/srv/a', containerPath: '/a', mode: 'RO' }],
    },
  });
  const plan = buildContainerPlan({
    launch: launchOf(task, '/sandbox', [31000, 31001]),
    spec: parseContainerSpec(task),
    agentId: 'agent-1',
    options: { cpuMode: 'quota' },
  });

  it('sets name, image, labels, env and command', () => {
    expect(plan.name).toBe('pando-plan-1');
    expect(plan.create).toMatchObject({
      name: 'pando-plan-1',
      Image: 'pando/busybox:latest',
      User: '1000:1000',
      WorkingDir: '/tmp',
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: ['httpd -f -p 8080'],
      Labels: { team: 'web', 'pando.agent-id': 'agent-1', 'pando.framework-id': 'fw-docker-test', 'pando.task-id': 'plan-1', 'pando.stop-grace-ms': '1500' },
    });
    expect(plan.create.Env).toEqual(expect.arrayContaining(['PANDO_TASK_ID=plan-1', 'PORT0=31000', 'MODE=test']));
    expect(plan.ignoredParameters).toEqual(['ulimit=nofile=1024']);
  });

  it('sets limits, port bindings, binds and capabilities', () => {
    expect(plan.ports).toEqual([{ containerPort: 8080, hostPort: 31000, protocol: 'tcp' }]);
    expect(plan.create.ExposedPorts).toEqual({ '8080/tcp': {} });
    expect(plan.create.HostConfig).toMatchObject({
      NetworkMode: 'bridge',
      NanoCpus: 500_000_000,
      Memory: 33_554_432,
      MemorySwap: 33_554_432,
      PortBindings: { '8080/tcp': [{ HostPort: '31000' }] },
      Binds: ['/srv/a:/a:ro'],
      CapAdd: ['NET_ADMIN'],
      Privileged: false,
    });
  });

  it('publishes nothing on the host network', () => {
    const host = { ...task, container: { ...task.container, docker: { ...(task.container!.docker as object), network: 'host' } } };
    const hostPlan = buildContainerPlan({ launch: launchOf(host, '/s', [31000, 31001]), spec: parseContainerSpec(host), agentId: 'a', options: { cpuMode: 'quota' } });
    expect(hostPlan.ports).toEqual([]);
    expect(hostPlan.create.HostConfig?.PortBindings).toBeUndefined();
    expect(hostPlan.create.HostConfig?.NetworkMode).toBe('host');
  });
});
