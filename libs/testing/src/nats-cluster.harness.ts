import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess } from './managed-process';
import { natsServerBinary, waitUntilServing } from './nats-server.harness';
import { freePort } from './ports';

export interface NatsClusterNode {
  name: string;
  url: string;
  process: ManagedProcess;
  /** SIGKILL, keeping its JetStream data (restart() brings it back on the same ports). */
  kill9(): Promise<void>;
  restart(): Promise<void>;
}

export interface RunningNatsCluster {
  nodes: NatsClusterNode[];
  /** Every client URL, for --nats-servers. */
  urls: string[];
  stop(): Promise<void>;
}

/**
 * A real local NATS cluster with JetStream (3 nodes by default) on loopback ports: each node has
 * its own config file, store dir and route port, routes to all the others, and a server name
 * (JetStream clustering needs one). KV buckets created with replicas 3 survive one node's loss.
 */
export async function startNatsCluster(options: { nodes?: number } = {}): Promise<RunningNatsCluster> {
  const count = options.nodes ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'pando-nats-cluster-'));
  const clientPorts = await Promise.all(Array.from({ length: count }, () => freePort()));
  const routePorts = await Promise.all(Array.from({ length: count }, () => freePort()));
  const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(', ');
  const nodes: NatsClusterNode[] = clientPorts.map((port, i) => {
    const name = `n${i + 1}`;
    const config = join(dir, `${name}.conf`);
    writeFileSync(
      config,
      [
        `server_name: ${name}`,
        `listen: 127.0.0.1:${port}`,
        `jetstream { store_dir: "${join(dir, name)}" }`,
        `cluster { name: pando; listen: 127.0.0.1:${routePorts[i]}; routes: [${routes}] }`,
      ].join('\n'),
    );
    const spawnNode = (): ManagedProcess => new ManagedProcess({ name: `nats-${name}`, command: natsServerBinary(), args: ['-c', config] });
    const url = `nats://127.0.0.1:${port}`;
    const node: NatsClusterNode = {
      name,
      url,
      process: spawnNode(),
      async kill9() {
        node.process.kill('SIGKILL');
        await node.process.waitForExit();
      },
      async restart() {
        node.process = spawnNode();
        await waitUntilServing(url);
      },
    };
    return node;
  });
  await Promise.all(nodes.map((n) => waitUntilServing(n.url)));
  return {
    nodes,
    urls: nodes.map((n) => n.url),
    async stop() {
      await Promise.all(nodes.map((n) => n.process.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
