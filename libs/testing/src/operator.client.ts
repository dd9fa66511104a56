import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  okReplySchema,
  operatorLaunchReplySchema,
  request,
  Subjects,
  type OperatorLaunchRequest,
} from '@pando/protocol';
import { Resources } from '@pando/resources';

/** Mesos-shaped task as found in /master/state. */
export interface StateTask {
  id: string;
  name: string;
  framework_id: string;
  slave_id: string;
  state: string;
  resources: Record<string, number | string>;
  statuses: Array<{ state: string; timestamp: number; message?: string; reason?: string; healthy?: boolean }>;
  /** The last health verdict, when the task has a health check. */
  healthy?: boolean;
  [key: string]: unknown;
}

/** Finds a task in a /master/state document, running or completed. */
export function findTask(state: any, taskId: string): StateTask | undefined {
  for (const fw of [...(state.frameworks ?? []), ...(state.completed_frameworks ?? [])]) {
    for (const t of [...(fw.tasks ?? []), ...(fw.completed_tasks ?? [])]) if (t.id === taskId) return t as StateTask;
  }
  return undefined;
}

/** A task to launch through the operator entry point (Mesos text form for resources). */
export interface OperatorTask {
  /** The shell line (or program with `shell: false`); omit for a container's own entrypoint. */
  command?: string;
  resources?: string;
  taskId?: string;
  killGracePeriodMs?: number;
  shell?: boolean;
  arguments?: string[];
  env?: Record<string, string>;
  /** Executor plugin id ('command' when omitted). */
  executor?: string;
  /** E.g. a containerSpecSchema value for the docker executor. */
  container?: Record<string, unknown>;
  /** A healthCheckSchema value. */
  healthCheck?: Record<string, unknown>;
  labels?: Record<string, string>;
}

/** Talks to the master's operator entry points over NATS, as tools and tests do. */
export class OperatorClient {
  private constructor(readonly nc: NatsConnection) {}

  static async connect(natsUrl: string): Promise<OperatorClient> {
    return new OperatorClient(await connect({ servers: natsUrl }));
  }

  async launch(agentId: string, task: OperatorTask): Promise<string> {
    const message: OperatorLaunchRequest = {
      agentId,
      task: {
        taskId: task.taskId,
        resources: Resources.parse(task.resources ?? 'cpus:0.1;mem:32').toJson(),
        command: task.command === undefined ? undefined : { value: task.command, shell: task.shell ?? true, arguments: task.arguments, env: task.env },
        killGracePeriodMs: task.killGracePeriodMs,
        ...(task.executor !== undefined ? { executor: task.executor } : {}),
        ...(task.container !== undefined ? { container: task.container } : {}),
        ...(task.healthCheck !== undefined ? { healthCheck: task.healthCheck } : {}),
        ...(task.labels !== undefined ? { labels: task.labels } : {}),
      },
    };
    const reply = await request(this.nc, Subjects.operatorLaunch, message, operatorLaunchReplySchema, 'operator launch');
    if (!reply.ok) throw new Error(reply.error.message);
    return reply.taskId;
  }

  async kill(taskId: string, gracePeriodMs?: number): Promise<void> {
    await request(this.nc, Subjects.operatorKill, { taskId, gracePeriodMs }, okReplySchema, 'operator kill');
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}
