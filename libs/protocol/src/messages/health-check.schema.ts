import { z } from 'zod';

/**
 * A task's health check: `TaskInfo.healthCheck`. The agent runs it next to the task (never from
 * the master), addressing the task at 127.0.0.1 and one of its host ports, or running a command
 * beside it (in the container for container tasks). Field names follow Marathon's health checks;
 * the defaults are Mesos's `HealthCheck` message (delay 15 s, interval 10 s, timeout 20 s,
 * 3 consecutive failures, grace period 10 s).
 *
 * - A check passes on an HTTP status 200–399 (HTTP), a completed connection (TCP) or exit
 *   code 0 (COMMAND), within `timeoutSeconds`.
 * - The first check runs `delaySeconds` after the task is RUNNING, then every `intervalSeconds`
 *   after the previous one ended.
 * - Failures are ignored during `gracePeriodSeconds` after launch until the first success.
 * - After `maxConsecutiveFailures` failures in a row the task is killed (0: never killed, only
 *   reported unhealthy), and ends KILLED with reason REASON_HEALTH_CHECK_FAILED.
 */

/** The port to check: `port` (a host port) or `portIndex` into the task's ports (default 0). */
const portChoice = {
  port: z.number().int().min(1).max(65535).optional(),
  portIndex: z.number().int().min(0).max(999).optional(),
};
const onePort = (target: { port?: number; portIndex?: number }): boolean => target.port === undefined || target.portIndex === undefined;
const ONE_PORT_MESSAGE = "give either 'port' or 'portIndex', not both";

export const httpHealthCheckSchema = z
  .object({
    ...portChoice,
    path: z
      .string()
      .min(1)
      .max(2048)
      .refine((p) => p.startsWith('/'), "path must start with '/'")
      .default('/'),
    /** 'https' does not verify the certificate (the task is addressed by IP), as in Marathon. */
    scheme: z.enum(['http', 'https']).default('http'),
  })
  .refine(onePort, ONE_PORT_MESSAGE);
export type HttpHealthCheck = z.infer<typeof httpHealthCheckSchema>;

export const tcpHealthCheckSchema = z.object({ ...portChoice }).refine(onePort, ONE_PORT_MESSAGE);
export type TcpHealthCheck = z.infer<typeof tcpHealthCheckSchema>;

export const commandHealthCheckSchema = z.object({
  /** Run with `/bin/sh -c`, in the sandbox with the task's environment (command tasks) or in the container. */
  value: z.string().min(1).max(65536),
});
export type CommandHealthCheck = z.infer<typeof commandHealthCheckSchema>;

export const HEALTH_CHECK_TYPES = ['HTTP', 'TCP', 'COMMAND'] as const;
export type HealthCheckType = (typeof HEALTH_CHECK_TYPES)[number];

const seconds = (max: number) => z.number().min(0).max(max);

export const healthCheckSchema = z
  .object({
    type: z.enum(HEALTH_CHECK_TYPES, { error: (issue) => `health check type must be HTTP, TCP or COMMAND (got ${JSON.stringify(issue.input)})` }),
    /** For HTTP (default: portIndex 0, path '/'). */
    http: httpHealthCheckSchema.optional(),
    /** For TCP (default: portIndex 0). */
    tcp: tcpHealthCheckSchema.optional(),
    /** Required for COMMAND. */
    command: commandHealthCheckSchema.optional(),
    delaySeconds: seconds(86_400).default(15),
    intervalSeconds: seconds(86_400)
      .refine((s) => s >= 0.1, 'intervalSeconds must be at least 0.1')
      .default(10),
    timeoutSeconds: seconds(86_400)
      .refine((s) => s >= 0.1, 'timeoutSeconds must be at least 0.1')
      .default(20),
    maxConsecutiveFailures: z.number().int().min(0).max(1_000_000).default(3),
    gracePeriodSeconds: seconds(86_400).default(10),
  })
  .superRefine((check, ctx) => {
    if (check.type === 'COMMAND' && !check.command) ctx.addIssue({ code: 'custom', path: ['command'], message: "a COMMAND health check needs 'command.value'" });
    const given = (['http', 'tcp', 'command'] as const).filter((key) => check[key] !== undefined);
    for (const key of given) {
      if (key.toUpperCase() !== check.type) ctx.addIssue({ code: 'custom', path: [key], message: `'${key}' does not belong to a ${check.type} health check` });
    }
  });
export type HealthCheck = z.infer<typeof healthCheckSchema>;
export type HealthCheckInput = z.input<typeof healthCheckSchema>;
