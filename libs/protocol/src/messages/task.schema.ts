import { z } from 'zod';
import { resourcesJsonSchema } from '@pando/resources';
import { idSchema, labelsSchema, taskReasonSchema, taskStateSchema } from './common.schema';

/** What to run for a command task: a shell line (default) or an argv. */
export const commandSpecSchema = z.object({
  value: z.string().min(1).max(65536).optional(),
  shell: z.boolean().default(true),
  arguments: z.array(z.string().max(65536)).max(1000).optional(),
  env: z.record(z.string().min(1).max(256), z.string().max(65536)).optional(),
  user: z.string().min(1).max(64).optional(),
});
export type CommandSpec = z.infer<typeof commandSpecSchema>;

/**
 * One task as the master hands it to an agent. `executor` names the executor plugin
 * ('command' is built in); `container` and `healthCheck` are read by the executor that owns them.
 */
export const taskInfoSchema = z.object({
  taskId: idSchema,
  name: z.string().min(1).max(512),
  frameworkId: idSchema,
  agentId: idSchema,
  resources: resourcesJsonSchema,
  executor: z.string().min(1).max(64).default('command'),
  command: commandSpecSchema.optional(),
  container: z.record(z.string(), z.unknown()).optional(),
  healthCheck: z.record(z.string(), z.unknown()).optional(),
  killGracePeriodMs: z.number().int().min(0).max(3_600_000).optional(),
  labels: labelsSchema.optional(),
  data: z.string().max(1_048_576).optional(),
});
export type TaskInfo = z.infer<typeof taskInfoSchema>;

export const statusSourceSchema = z.enum(['SOURCE_MASTER', 'SOURCE_AGENT', 'SOURCE_EXECUTOR']);
export type StatusSource = z.infer<typeof statusSourceSchema>;

/**
 * A task status update. Updates an agent sends carry a `uuid` and are retried until the master
 * acknowledges that uuid; updates the master makes itself (reconciliation, agent lost) carry none.
 */
export const taskStatusSchema = z.object({
  taskId: idSchema,
  frameworkId: idSchema,
  agentId: idSchema.optional(),
  state: taskStateSchema,
  uuid: z.string().min(1).max(64).optional(),
  timestamp: z.number(),
  source: statusSourceSchema,
  reason: taskReasonSchema.optional(),
  message: z.string().max(8192).optional(),
  healthy: z.boolean().optional(),
  exitCode: z.number().int().optional(),
  data: z.string().max(1_048_576).optional(),
});
export type TaskStatus = z.infer<typeof taskStatusSchema>;
