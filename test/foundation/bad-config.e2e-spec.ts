import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { appEntry, repoRoot } from '@pando/testing';

/**
 * Bad configuration as docker-compose hands it over: in the environment. Each built app must stop
 * before connecting anywhere, with exit status 1 and a message on stderr naming the variable (and
 * its flag), never with a stack trace. Nothing here needs NATS: the options are read first.
 */
function run(app: 'master' | 'agent' | 'framework-host', env: Record<string, string>): { status: number | null; stderr: string; stdout: string } {
  // A clean environment: the test runner's own PANDO_* variables must not leak in.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PANDO_'))) as Record<string, string>;
  const result = spawnSync(process.execPath, [appEntry(app)], {
    cwd: repoRoot(),
    env: { ...base, PANDO_NATS_SERVERS: 'nats://127.0.0.1:1', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

const noStack = (text: string): void => expect(text).not.toMatch(/^\s+at /m);

describe('bad configuration from the environment', () => {
  it.each(['master', 'agent', 'framework-host'] as const)('%s: a bad PANDO_LOG_LEVEL stops it with one line naming the variable and the levels', (app) => {
    const { status, stderr } = run(app, { PANDO_LOG_LEVEL: 'loud', PANDO_PLUGINS: 'marathon' });
    expect(status).toBe(1);
    expect(stderr).toBe(`pando-${app}: invalid configuration: PANDO_LOG_LEVEL = 'loud': expected trace, debug, info, warn, error, fatal or silent\n`);
  });

  it('master: a bad port in PANDO_MASTER_HTTP names the variable and its flag', () => {
    const { status, stderr } = run('master', { PANDO_MASTER_HTTP: '0.0.0.0:70000' });
    expect(status).toBe(1);
    expect(stderr).toContain("pando-master: invalid configuration: --http / PANDO_MASTER_HTTP = '0.0.0.0:70000': expected host:port with a port from 0 to 65535");
    noStack(stderr);
  });

  it('agent: every bad variable is named at once', () => {
    const { status, stderr } = run('agent', { PANDO_AGENT_HTTP: '0.0.0.0:abc', PANDO_AGENT_KILL_GRACE_MS: '-5', PANDO_AGENT_EXECUTORS: 'command,dockr' });
    expect(status).toBe(1);
    expect(stderr).toContain("--http / PANDO_AGENT_HTTP = '0.0.0.0:abc'");
    expect(stderr).toContain("PANDO_AGENT_KILL_GRACE_MS = '-5'");
    noStack(stderr);
  });

  it('agent: an unknown executor names --executors / PANDO_AGENT_EXECUTORS and the known ones', () => {
    const { status, stderr } = run('agent', { PANDO_AGENT_EXECUTORS: 'command,dockr' });
    expect(status).toBe(1);
    expect(stderr).toContain("--executors / PANDO_AGENT_EXECUTORS: unknown executor 'dockr' (known: command, docker");
    noStack(stderr);
  });

  it('framework host: an unknown plugin in PANDO_PLUGINS names the variable and its flag', () => {
    const { status, stderr } = run('framework-host', { PANDO_PLUGINS: 'marathon,nope' });
    expect(status).toBe(1);
    expect(stderr).toContain("unknown plugin 'nope' in --plugins / PANDO_PLUGINS: it is not a bundled plugin (marathon, chronos)");
    noStack(stderr);
  });

  it('framework host: a bad PANDO_PLUGIN_PORTS names the variable and its flag', () => {
    const { status, stderr } = run('framework-host', { PANDO_PLUGINS: 'marathon', PANDO_PLUGIN_PORTS: 'marathon=99999' });
    expect(status).toBe(1);
    expect(stderr).toContain("--plugin-ports / PANDO_PLUGIN_PORTS = 'marathon=99999'");
    noStack(stderr);
  });
});

describe('deploy/check-env.sh', () => {
  const script = join(repoRoot(), 'deploy', 'check-env.sh');
  const check = (env: Record<string, string>): { status: number | null; stderr: string } => {
    const result = spawnSync('bash', [script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DOCKER_SOCKET: '/dev/null', ...env }, encoding: 'utf8', timeout: 10_000 });
    return { status: result.status, stderr: result.stderr };
  };

  it("accepts the repository's .env", () => {
    expect(check({}).status).toBe(0);
  });

  it.each([
    [{ MASTER_PORT: 'abc' }, "MASTER_PORT='abc': expected a port from 1 to 65535"],
    [{ MASTER_PORT: '70000' }, "MASTER_PORT='70000': expected a port from 1 to 65535"],
    [{ CHRONOS_PORT: '99999999999999999999' }, "CHRONOS_PORT='99999999999999999999': expected a port from 1 to 65535"],
    [{ MARATHON_PORT: '5050' }, "MARATHON_PORT='5050': the same host port as MASTER_PORT"],
    [{ PANDO_LOG_LEVEL: 'loud' }, "PANDO_LOG_LEVEL='loud': expected trace, debug, info, warn, error, fatal or silent"],
    [{ PANDO_KV_REPLICAS: '5' }, "PANDO_KV_REPLICAS='5': expected 1 or 3"],
    [{ AGENT_2_RESOURCES: 'ports:[31400-31600]' }, 'AGENT_1_RESOURCES and AGENT_2_RESOURCES: the port ranges [31000-31499] and [31400-31600] overlap'],
  ])('refuses %j naming the variable', (env, message) => {
    const { status, stderr } = check(env);
    expect(status).toBe(1);
    expect(stderr).toContain(`check-env: ${message}`);
  });

  it('lists every problem at once; an empty variable means the default, as in compose', () => {
    const { status, stderr } = check({ MASTER_PORT: 'abc', AGENT_1_PORT: '0', NATS_1_PORT: '' });
    expect(status).toBe(1);
    expect(stderr.trim().split('\n').filter((line) => !line.startsWith('check-env: warning:'))).toEqual(["check-env: MASTER_PORT='abc': expected a port from 1 to 65535", "check-env: AGENT_1_PORT='0': expected a port from 1 to 65535"]);
  });

  it('warns, without failing, when DOCKER_SOCKET is not a socket', () => {
    const { status, stderr } = check({ DOCKER_SOCKET: '/nowhere/docker.sock' });
    expect(status).toBe(0);
    expect(stderr).toContain('DOCKER_SOCKET=/nowhere/docker.sock is not a socket on this host: the agents will run without the docker executor');
  });
});
