import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  decode,
  heartbeatReplySchema,
  masterHelloSchema,
  PROTOCOL_VERSION,
  registerAgentReplySchema,
  request,
  Subjects,
  type RegisterAgentRequest,
  type TaskReport,
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
  /**
   * The tasks an agent reports when it re-registers (e.g. SimulatedTaskRunner.reports): with it,
   * a new leading master learns every task back, as from real agents.
   */
  reports?: (agentId: string) => TaskReport[];
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
  /** Registrations after the first one of each agent (a new master, or one that forgot the agent). */
  reregistrations = 0;
  private timers: NodeJS.Timeout[] = [];
  private hello?: Subscription;
  private readonly byId = new Map<string, SimulatedAgent>();
  private readonly registering = new Set<SimulatedAgent>();

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

  /** The epoch of the master an agent last registered with (what a real agent checks messages against). */
  epochOf(agentId: string): number | undefined {
    return this.byId.get(agentId)?.epoch;
  }

  /**
   * Like real agents: on a MasterHello with a newer epoch every agent re-registers at once (with
   * its tasks, when `reports` is given), at most `concurrency` at a time.
   */
  followMasters(concurrency = 256): void {
    this.hello = this.connections[0]!.subscribe(Subjects.masterHello, {
      callback: (err, msg) => {
        if (err) return;
        const hello = decode(masterHelloSchema, msg.data, 'master hello');
        const stale = this.agents.filter((a) => a.agentId !== undefined && (a.epoch === undefined || a.epoch < hello.epoch));
        void this.registerEach(stale, concurrency);
      },
    });
  }

  private async registerEach(agents: SimulatedAgent[], concurrency: number): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < agents.length) {
        const agent = agents[next++]!;
        await this.register(agent).catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, agents.length) }, worker));
  }

  async register(agent: SimulatedAgent): Promise<void> {
    // One registration per agent at a time (a hello and a heartbeat reply may both ask for one).
    if (this.registering.has(agent)) return;
    this.registering.add(agent);
    try {
      await this.registerOnce(agent);
    } finally {
      this.registering.delete(agent);
    }
  }

  private async registerOnce(agent: SimulatedAgent): Promise<void> {
    const again = agent.agentId !== undefined;
    const message: RegisterAgentRequest = {
      protocolVersion: PROTOCOL_VERSION,
      agentId: agent.agentId,
      hostname: agent.hostname,
      resources: this.options.resources,
      attributes: this.options.attributes?.(agent.index) ?? {},
      version: 'sim',
      executors: this.options.executors ?? ['sim'],
      tasks: again && this.options.reports ? this.options.reports(agent.agentId!) : [],
    };
    const reply = await request(this.connectionFor(agent), Subjects.agentRegister, message, registerAgentReplySchema, 'register', 30_000);
    if (!reply.ok) throw new Error(`simulated agent ${agent.hostname} was refused: ${reply.error.message}`);
    agent.agentId = reply.agentId;
    agent.epoch = reply.epoch;
    agent.heartbeatIntervalMs = reply.heartbeatIntervalMs;
    this.byId.set(reply.agentId, agent);
    if (again) this.reregistrations++;
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
      if (reply.ok) {
        this.heartbeatsAnswered++;
        // A newer master answered (it leads now): re-register with it, as a real agent does.
        if (agent.epoch !== undefined && reply.epoch > agent.epoch) await this.register(agent);
      } else {
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
    this.hello?.unsubscribe();
  }
}
