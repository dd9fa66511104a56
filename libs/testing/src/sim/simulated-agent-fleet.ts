import type { NatsConnection } from '@nats-io/transport-node';
import {
  heartbeatReplySchema,
  PROTOCOL_VERSION,
  registerAgentReplySchema,
  request,
  Subjects,
  type RegisterAgentRequest,
} from '@pando/protocol';
import type { ResourceJson } from '@pando/resources';

export interface SimulatedAgent {
  index: number;
  hostname: string;
  agentId?: string;
  epoch?: number;
  heartbeatIntervalMs?: number;
}

export interface FleetOptions {
  count: number;
  resources: ResourceJson[];
  attributes?: (index: number) => Record<string, string | number>;
  hostnamePrefix?: string;
  executors?: string[];
}

/**
 * Many simulated agents in one process: each speaks the real agent protocol (register,
 * heartbeat) over real NATS connections, without running anything. Connections are shared
 * round-robin, as thousands of sockets would measure the test machine, not the master.
 */
export class SimulatedAgentFleet {
  readonly agents: SimulatedAgent[];
  heartbeatsAnswered = 0;
  heartbeatsFailed = 0;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly connections: NatsConnection[],
    private readonly options: FleetOptions,
  ) {
    const prefix = options.hostnamePrefix ?? 'sim-agent';
    this.agents = Array.from({ length: options.count }, (_, index) => ({ index, hostname: `${prefix}-${index}` }));
  }

  private connectionFor(agent: SimulatedAgent): NatsConnection {
    return this.connections[agent.index % this.connections.length];
  }

  /** Registers every agent with at most `concurrency` requests in flight; returns seconds taken. */
  async registerAll(concurrency = 256): Promise<number> {
    const started = process.hrtime.bigint();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < this.agents.length) {
        const agent = this.agents[next++];
        await this.register(agent);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, this.agents.length) }, worker));
    return Number(process.hrtime.bigint() - started) / 1e9;
  }

  async register(agent: SimulatedAgent): Promise<void> {
    const message: RegisterAgentRequest = {
      protocolVersion: PROTOCOL_VERSION,
      agentId: agent.agentId,
      hostname: agent.hostname,
      resources: this.options.resources,
      attributes: this.options.attributes?.(agent.index) ?? {},
      version: 'sim',
      executors: this.options.executors ?? ['sim'],
      tasks: [],
    };
    const reply = await request(this.connectionFor(agent), Subjects.agentRegister, message, registerAgentReplySchema, 'register', 30_000);
    if (!reply.ok) throw new Error(`simulated agent ${agent.hostname} was refused: ${reply.error.message}`);
    agent.agentId = reply.agentId;
    agent.epoch = reply.epoch;
    agent.heartbeatIntervalMs = reply.heartbeatIntervalMs;
  }

  /** Every agent heartbeats at the interval the master gave it, spread evenly over the interval. */
  startHeartbeats(): void {
    for (const agent of this.agents) {
      const interval = agent.heartbeatIntervalMs ?? 3000;
      const first = setTimeout(() => {
        void this.heartbeat(agent);
        this.timers.push(setInterval(() => void this.heartbeat(agent), interval));
      }, Math.floor((agent.index / this.agents.length) * interval));
      this.timers.push(first);
    }
  }

  private async heartbeat(agent: SimulatedAgent): Promise<void> {
    if (!agent.agentId) return;
    try {
      const reply = await request(this.connectionFor(agent), Subjects.agentHeartbeat, { agentId: agent.agentId, epoch: agent.epoch }, heartbeatReplySchema, 'heartbeat', 10_000);
      if (reply.ok) this.heartbeatsAnswered++;
      else {
        this.heartbeatsFailed++;
        if (reply.reregister) await this.register(agent);
      }
    } catch {
      this.heartbeatsFailed++;
    }
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }
}
