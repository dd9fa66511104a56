import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { Clock, Logger, TimerHandle } from '@pando/common';
import { encodeWorkerConfig, WORKER_CONFIG_ENV, type WorkerConfig } from '../worker/worker-config';
import { RestartBackoff } from './restart-backoff';

export interface WorkerHandle {
  pid: number | undefined;
  kill(signal: NodeJS.Signals): void;
}

/** Starts one worker process; `onExit` is called once when it ends. */
export type WorkerLauncher = (config: WorkerConfig, onExit: (code: number | null, signal: NodeJS.Signals | null) => void) => WorkerHandle;

/**
 * Forks `plugin-worker.js <id>` with the configuration in its environment and an IPC channel, which
 * the worker watches to exit when the host dies. Its output goes straight to the host's stdout and
 * stderr (pino lines already name the plugin).
 */
export function forkWorkerLauncher(entry = join(__dirname, '..', 'plugin-worker.js')): WorkerLauncher {
  return (config, onExit) => {
    const child = fork(entry, [config.pluginId], {
      env: { ...process.env, [WORKER_CONFIG_ENV]: encodeWorkerConfig(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('exit', (code, signal) => onExit(code, signal));
    return { pid: child.pid, kill: (signal) => void child.kill(signal) };
  };
}

interface Supervised {
  config: WorkerConfig;
  backoff: RestartBackoff;
  handle?: WorkerHandle;
  startedAt: number;
  restartTimer?: TimerHandle;
  exited?: Promise<void>;
  onExited?: () => void;
}

/**
 * The framework host process: keeps one worker per plugin running. A worker that exits (crash,
 * lost lease, kill -9) is restarted after a backoff; the others are not touched, so one plugin's
 * crash never takes another down.
 */
export class WorkerSupervisor {
  private readonly workers = new Map<string, Supervised>();
  private stopping = false;

  constructor(
    private readonly launch: WorkerLauncher,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly backoff: { initialMs: number; maxMs: number },
  ) {}

  start(configs: readonly WorkerConfig[]): void {
    for (const config of configs) {
      const backoff = new RestartBackoff({ ...this.backoff, stableAfterMs: Math.max(60_000, this.backoff.maxMs) });
      const entry: Supervised = { config, backoff, startedAt: 0 };
      this.workers.set(config.pluginId, entry);
      this.run(entry);
    }
  }

  /** The pid of each plugin's current worker (undefined while it waits to be restarted). */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.workers].map(([id, w]) => [id, w.handle?.pid]));
  }

  /** SIGTERM to every worker; SIGKILL to those still running after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    const running: Array<Promise<void>> = [];
    for (const worker of this.workers.values()) {
      if (worker.restartTimer) this.clock.clearTimeout(worker.restartTimer);
      if (worker.handle && worker.exited) {
        worker.handle.kill('SIGTERM');
        running.push(worker.exited);
      }
    }
    const deadline = new Promise<'late'>((resolve) => this.clock.setTimeout(() => resolve('late'), timeoutMs).unref?.());
    if ((await Promise.race([Promise.all(running), deadline])) === 'late') {
      for (const worker of this.workers.values()) {
        if (!worker.handle) continue;
        this.log.warn({ plugin: worker.config.pluginId }, `worker of plugin '${worker.config.pluginId}' did not stop in time; killing it`);
        worker.handle.kill('SIGKILL');
      }
    }
  }

  private run(worker: Supervised): void {
    const { pluginId } = worker.config;
    worker.startedAt = this.clock.now();
    worker.exited = new Promise((resolve) => (worker.onExited = resolve));
    worker.handle = this.launch(worker.config, (code, signal) => this.exited(worker, code, signal));
    this.log.info({ plugin: pluginId, workerPid: worker.handle.pid }, `started worker of plugin '${pluginId}' (pid ${worker.handle.pid})`);
  }

  private exited(worker: Supervised, code: number | null, signal: NodeJS.Signals | null): void {
    const { pluginId } = worker.config;
    const pid = worker.handle?.pid;
    worker.handle = undefined;
    worker.onExited?.();
    if (this.stopping) return;
    const delay = worker.backoff.next(this.clock.now() - worker.startedAt);
    const how = signal ? `signal ${signal}` : `code ${code}`;
    this.log.warn({ plugin: pluginId, workerPid: pid, code, signal, restartInMs: delay }, `worker of plugin '${pluginId}' (pid ${pid}) exited with ${how}; restarting it in ${delay} ms`);
    worker.restartTimer = this.clock.setTimeout(() => {
      worker.restartTimer = undefined;
      if (!this.stopping) this.run(worker);
    }, delay);
  }
}
