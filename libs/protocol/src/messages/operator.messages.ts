import { z } from 'zod';
import { resourcesJsonSchema } from '@pando/resources';
import { idSchema, labelsSchema, replySchema } from './common.schema';
import { commandSpecSchema } from './task.schema';

/**
 * operator -> master (request): start one task on a given agent with given resources, outside
 * any offer. Used by tests and tools; tasks launched this way belong to the built-in
 * 'operator' framework id unless one is given.
 */
export const operatorLaunchRequestSchema = z.object({
  agentId: idSchema,
  frameworkId: idSchema.optional(),
  task: z.object({
    taskId: idSchema.optional(),
    name: z.string().min(1).max(512).optional(),
    resources: resourcesJsonSchema,
    executor: z.string().min(1).max(64).default('command'),
    command: commandSpecSchema.optional(),
    container: z.record(z.string(), z.unknown()).optional(),
    healthCheck: z.record(z.string(), z.unknown()).optional(),
    killGracePeriodMs: z.number().int().min(0).max(3_600_000).optional(),
    labels: labelsSchema.optional(),
  }),
});
export type OperatorLaunchRequest = z.input<typeof operatorLaunchRequestSchema>;

export const operatorLaunchReplySchema = replySchema({ taskId: idSchema, agentId: idSchema });
export type OperatorLaunchReply = z.infer<typeof operatorLaunchReplySchema>;

/** operator -> master (request): kill a task by id. */
export const operatorKillRequestSchema = z.object({
  taskId: idSchema,
  gracePeriodMs: z.number().int().min(0).max(3_600_000).optional(),
});
export type OperatorKillRequest = z.infer<typeof operatorKillRequestSchema>;

/** The framework id of tasks launched through the operator entry point. */
export const OPERATOR_FRAMEWORK_ID = 'operator';
