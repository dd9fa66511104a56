import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { createLogger, describeError, type Logger } from '@pando/common';
import { ExecutorRegistry, type Executor, type ExecutorContext, type ExecutorPlugin } from '@pando/sdk';
import { AGENT_CONFIG, type AgentConfig } from '../agent.options';
import { AgentSession } from '../master/agent-session';
import { dockerExecutorPlugin } from '@pando/plugin-docker-executor';
import { commandExecutorPlugin } from './command/command.executor';

/** Executor plugins this agent build ships, by id; enabled per agent with --executors. */
export const BUILTIN_EXECUTOR_PLUGINS: readonly ExecutorPlugin[] = [commandExecutorPlugin, dockerExecutorPlugin];

export function knownExecutorIds(): string[] {
  return BUILTIN_EXECUTOR_PLUGINS.map((p) => p.id);
}

interface CatalogEntry {
  executor: Executor;
  available: boolean;
  message?: string;
}

/**
 * The agent reaches executors only through this catalog: it creates the ones enabled with
 * --executors (once per process), probes them, and advertises only those that are available.
 */
@Injectable()
export class ExecutorCatalog implements OnModuleInit {
  private readonly registry = new ExecutorRegistry();
  private readonly entries = new Map<string, CatalogEntry>();
  private readonly log: Logger = createLogger('agent.executors');

  constructor(
    @Inject(AGENT_CONFIG) private readonly config: AgentConfig,
    private readonly session: AgentSession,
  ) {
    for (const plugin of BUILTIN_EXECUTOR_PLUGINS) this.registry.register(plugin);
  }

  async onModuleInit(): Promise<void> {
    for (const id of this.config.executors) await this.enable(id);
  }

  /** Ids of the executors that can run tasks here (advertised to the master). */
  availableIds(): string[] {
    return [...this.entries].filter(([, e]) => e.available).map(([id]) => id);
  }

  /**
   * The executors enabled with --executors whose probe failed, with why (e.g. no Docker engine
   * behind the socket). The agent runs without them, and its /state says so.
   */
  unavailable(): Array<{ id: string; reason: string }> {
    return [...this.entries].filter(([, e]) => !e.available).map(([id, e]) => ({ id, reason: e.message ?? 'probe failed' }));
  }

  /** The executor for a task, or a problem saying why there is none. */
  lookup(id: string): { executor: Executor } | { problem: string } {
    const entry = this.entries.get(id);
    if (!entry) return { problem: `executor '${id}' is not enabled on this agent (enabled: ${[...this.entries.keys()].join(', ') || 'none'})` };
    if (!entry.available) return { problem: `executor '${id}' is not available on this agent: ${entry.message ?? 'probe failed'}` };
    return { executor: entry.executor };
  }

  async shutdown(): Promise<void> {
    for (const [id, entry] of this.entries) {
      try {
        await entry.executor.shutdown?.();
      } catch (err) {
        this.log.warn({ executor: id, err: describeError(err) }, `executor '${id}' failed to shut down`);
      }
    }
  }

  private async enable(id: string): Promise<void> {
    const plugin = this.registry.get(id);
    const executor = await plugin.create(this.contextFor(id));
    let probe: { available: boolean; message?: string };
    try {
      probe = (await executor.probe?.()) ?? { available: true };
    } catch (err) {
      probe = { available: false, message: describeError(err) };
    }
    this.entries.set(id, { executor, ...probe });
    if (probe.available) this.log.info({ executor: id }, `executor '${id}' is available`);
    else this.log.warn({ executor: id, reason: probe.message }, `executor '${id}' is not available: ${probe.message ?? 'probe failed'}`);
  }

  private contextFor(id: string): ExecutorContext {
    const session = this.session;
    return {
      // A new agent gets its id only when it registers, after executors are created: read it late.
      get agentId(): string {
        return session.agentId ?? '';
      },
      hostname: this.config.hostname,
      workDir: this.config.workDir,
      log: createLogger(`executor.${id}`),
      options: Object.freeze({ ...this.config.executorOptions }),
    };
  }
}
