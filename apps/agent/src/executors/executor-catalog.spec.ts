process.env.PANDO_LOG_LEVEL ??= 'silent';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentConfig } from '../agent.options';
import { AgentSession } from '../master/agent-session';
import { ExecutorCatalog } from './executor-catalog';

describe('ExecutorCatalog without a Docker engine', () => {
  let workDir: string;
  let catalog: ExecutorCatalog;

  beforeEach(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'pando-catalog-'));
    const config: AgentConfig = {
      http: { host: '127.0.0.1', port: 0 },
      workDir,
      attributes: {},
      hostname: 'host-1',
      advertiseHost: 'host-1',
      executors: ['command', 'docker'],
      // A socket path where nothing listens: what an agent container without the socket mounted sees.
      executorOptions: { 'docker-socket': join(workDir, 'no-such-docker.sock') },
      killGraceMs: 5000,
      nats: { servers: [] },
    };
    catalog = new ExecutorCatalog(config, new AgentSession());
    await catalog.onModuleInit();
  });

  afterEach(async () => {
    await catalog.shutdown();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('starts with the command executor only, and says why docker is not available', () => {
    expect(catalog.availableIds()).toEqual(['command']);
    expect(catalog.unavailable()).toEqual([{ id: 'docker', reason: expect.stringMatching(/^Docker engine at .*no-such-docker\.sock is not usable: /) }]);
  });

  it('refuses a Docker task with that reason instead of failing later', () => {
    const found = catalog.lookup('docker');
    expect(found).toEqual({ problem: expect.stringMatching(/^executor 'docker' is not available on this agent: Docker engine at .*no-such-docker\.sock is not usable/) });
    expect('executor' in catalog.lookup('command')).toBe(true);
  });
});
