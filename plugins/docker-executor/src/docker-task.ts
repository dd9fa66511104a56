import type { TaskDriver, TaskLaunch } from '@pando/sdk';
import type { SandboxLogSink } from './sandbox-log.sink';

/** One task of the Docker executor, from launch (or recovery) until its terminal update. */
export interface DockerTask {
  taskId: string;
  containerName: string;
  driver: TaskDriver;
  launch: TaskLaunch;
  /** The spec's stopGracePeriodMs, which wins over the grace a kill asks for. */
  stopGraceMs?: number;
  /** mem limit in MB, for the OOM message. */
  memMb?: number;
  containerId?: string;
  /** A kill was asked for: the end of the container is reported as KILLED. */
  killRequested: boolean;
  /** The SIGTERM-to-SIGKILL grace of the requested kill, in whole seconds (docker stop's t). */
  killGraceSeconds?: number;
  /** The terminal update was sent (or the executor shut down): nothing more is reported. */
  done: boolean;
  sinks?: SandboxLogSink;
  /** Aborted at shutdown: stops waiting and log streaming, leaves the container running. */
  abort: AbortController;
  /** Settles when the task's supervision ends (terminal update sent, or shutdown). */
  finished: Promise<void>;
  markFinished: () => void;
}

export function newDockerTask(fields: Omit<DockerTask, 'killRequested' | 'done' | 'abort' | 'finished' | 'markFinished'>): DockerTask {
  let markFinished!: () => void;
  const finished = new Promise<void>((resolve) => (markFinished = resolve));
  return { ...fields, killRequested: false, done: false, abort: new AbortController(), finished, markFinished };
}
