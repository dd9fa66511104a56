import { Writable } from 'node:stream';
import Docker, { type ContainerCreateOptions } from 'dockerode';

/** What the executor needs to know about a container's state. */
export interface ContainerStatus {
  id: string;
  name: string;
  /** Docker's status: created, running, paused, restarting, removing, exited, dead. */
  status: string;
  running: boolean;
  exitCode: number;
  oomKilled: boolean;
  /** The engine's error for a container that failed to start, if any. */
  error?: string;
  labels: Record<string, string>;
}

export interface ContainerSummary {
  id: string;
  name: string;
  running: boolean;
  labels: Record<string, string>;
}

/** A progress line of an image pull, as the engine reports it. */
export interface PullProgress {
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
}

/**
 * The Docker engine, through dockerode, reduced to the calls the executor makes. It hides the
 * HTTP details: 404s become `undefined`, "already stopped" is not an error, errors carry the
 * engine's own message, and long calls (wait, logs) can be aborted.
 */
export class DockerEngineAdapter {
  private readonly docker: Docker;

  constructor(readonly socketPath: string) {
    this.docker = new Docker({ socketPath });
  }

  /** Resolves when the engine answers within `timeoutMs`. */
  async ping(timeoutMs: number): Promise<void> {
    const signal = AbortSignal.timeout(timeoutMs);
    // dockerode accepts an abortSignal on ping; its type definitions do not know it.
    const ping = this.docker.ping.bind(this.docker) as unknown as (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
    await withEngineMessage(`engine at ${this.socketPath} did not answer within ${timeoutMs} ms`, ping({ abortSignal: signal }));
  }

  /** Number of CPUs of the engine's host (quotas above it are refused). */
  async hostCpus(): Promise<number> {
    const info = (await withEngineMessage('failed to read engine info', this.docker.info())) as { NCPU?: number };
    return info.NCPU ?? 0;
  }

  async imageExists(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (err) {
      if (statusCode(err) === 404) return false;
      throw engineError(`failed to inspect image '${image}'`, err);
    }
  }

  /** Pulls one image, reporting progress; rejects with the engine's message when the pull fails. */
  async pullImage(image: string, onProgress: (event: PullProgress) => void): Promise<void> {
    const stream = (await withEngineMessage(`failed to pull image '${image}'`, this.docker.pull(image))) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => {
      let failure: string | undefined;
      this.docker.modem.followProgress(
        stream,
        (err: unknown) => {
          if (err) reject(engineError(`failed to pull image '${image}'`, err));
          else if (failure !== undefined) reject(new Error(`failed to pull image '${image}': ${failure}`));
          else resolve();
        },
        (event: PullProgress) => {
          if (event.error) failure = event.error;
          onProgress(event);
        },
      );
    });
  }

  async createContainer(options: ContainerCreateOptions): Promise<string> {
    const container = await withEngineMessage(`failed to create container '${options.name ?? ''}'`, this.docker.createContainer(options));
    return container.id;
  }

  async startContainer(id: string): Promise<void> {
    await withEngineMessage(`failed to start container ${short(id)}`, this.docker.getContainer(id).start());
  }

  /** Resolves with the exit code once the container is not running (at once if it already is not). */
  async waitContainer(id: string, signal?: AbortSignal): Promise<number> {
    const result = (await withEngineMessage(
      `failed to wait for container ${short(id)}`,
      this.docker.getContainer(id).wait({ condition: 'not-running', abortSignal: signal }),
    )) as { StatusCode?: number };
    return result.StatusCode ?? -1;
  }

  /** The container's state, or undefined when it does not exist. */
  async inspectContainer(id: string): Promise<ContainerStatus | undefined> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      return {
        id: info.Id,
        name: info.Name.replace(/^\//, ''),
        status: info.State.Status,
        running: info.State.Running || info.State.Restarting,
        exitCode: info.State.ExitCode,
        oomKilled: info.State.OOMKilled,
        ...(info.State.Error ? { error: info.State.Error } : {}),
        labels: info.Config.Labels ?? {},
      };
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw engineError(`failed to inspect container ${short(id)}`, err);
    }
  }

  /** SIGTERM, then SIGKILL after `timeoutSeconds`; a stopped or missing container is not an error. */
  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: timeoutSeconds });
    } catch (err) {
      const code = statusCode(err);
      if (code === 304 || code === 404) return;
      throw engineError(`failed to stop container ${short(id)}`, err);
    }
  }

  /** Removes a container (forcefully, with its anonymous volumes); a missing one is not an error. */
  async removeContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      const code = statusCode(err);
      // 409: removal already in progress.
      if (code === 404 || code === 409) return;
      throw engineError(`failed to remove container ${short(id)}`, err);
    }
  }

  /**
   * Runs `cmd` inside a running container (docker exec) and resolves with its exit code and the
   * first `outputLimit` bytes of its output. Rejects when it cannot run or does not end within
   * `timeoutMs` (the engine has no way to stop an exec: the process may linger in the container).
   */
  async exec(id: string, cmd: string[], timeoutMs: number, outputLimit = 4096): Promise<{ exitCode: number; output: string }> {
    const container = this.docker.getContainer(id);
    const exec = await withEngineMessage(`failed to exec in container ${short(id)}`, container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true }));
    const stream = (await withEngineMessage(`failed to exec in container ${short(id)}`, exec.start({ hijack: true, stdin: false }))) as NodeJS.ReadableStream & { destroy(): void };
    let output = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        if (output.length < outputLimit) output += chunk.toString().slice(0, outputLimit - output.length);
        done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => {
          stream.destroy();
          reject(new Error(`exec in container ${short(id)} did not end within ${timeoutMs} ms`));
        }, timeoutMs);
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', reject);
        this.docker.modem.demuxStream(stream, sink, sink);
      });
    } finally {
      clearTimeout(timer);
    }
    const info = (await withEngineMessage(`failed to inspect an exec in container ${short(id)}`, exec.inspect())) as { ExitCode?: number | null; Running?: boolean };
    return { exitCode: info.ExitCode ?? -1, output };
  }

  /** All containers (running or not) carrying every one of `labels`. */
  async listContainers(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const filters = { label: Object.entries(labels).map(([key, value]) => `${key}=${value}`) };
    const list = await withEngineMessage('failed to list containers', this.docker.listContainers({ all: true, filters }));
    return list.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      running: c.State === 'running' || c.State === 'restarting',
      labels: c.Labels ?? {},
    }));
  }

  /**
   * Copies the container's output (demultiplexed) into `stdout` and `stderr` from `sinceSeconds`
   * (0: from the start), following it; resolves when the container stops, the stream breaks or
   * `signal` aborts. The sinks are not ended: the caller owns them.
   */
  async followLogs(id: string, sinceSeconds: number, sinks: { stdout: Writable; stderr: Writable }, signal: AbortSignal): Promise<void> {
    const stream = await withEngineMessage(
      `failed to follow the logs of container ${short(id)}`,
      this.docker.getContainer(id).logs({ follow: true, stdout: true, stderr: true, since: sinceSeconds, abortSignal: signal }),
    );
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      stream.on('end', done);
      stream.on('close', done);
      stream.on('error', done);
      signal.addEventListener('abort', done, { once: true });
      this.docker.modem.demuxStream(stream, sinks.stdout, sinks.stderr);
    });
  }
}

/** The engine's own message when there is one ("No such image: x"), else the error's. */
export function engineMessage(err: unknown): string {
  const json = (err as { json?: unknown } | undefined)?.json;
  if (typeof json === 'object' && json !== null && typeof (json as { message?: unknown }).message === 'string') {
    return (json as { message: string }).message.trim();
  }
  if (typeof json === 'string' && json.trim().length > 0) return json.trim();
  const message = err instanceof Error ? err.message : String(err);
  // docker-modem's form when the body was not JSON: "(HTTP code 500) server error - <engine text>".
  return message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

function statusCode(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** An engine call failed; the message says which and why, the cause keeps the HTTP details. */
class EngineError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'EngineError';
  }
  get statusCode(): number | undefined {
    return statusCode(this.cause);
  }
  get code(): unknown {
    return (this.cause as { code?: unknown } | undefined)?.code;
  }
}

function engineError(context: string, err: unknown): EngineError {
  return new EngineError(`${context}: ${engineMessage(err)}`, err);
}

async function withEngineMessage<T>(context: string, promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    throw engineError(context, err);
  }
}

function short(id: string): string {
  return id.slice(0, 12);
}
