import { z } from 'zod';
import { resourcesJsonSchema } from '@pando/resources';
import { attributesSchema, base64Schema, idSchema, replySchema } from './common.schema';
import { taskInfoSchema, taskStatusSchema } from './task.schema';

/** A task the agent knows, reported when it (re-)registers: what it runs and its latest state. */
export const taskReportSchema = z.object({
  task: taskInfoSchema,
  status: taskStatusSchema,
});
export type TaskReport = z.infer<typeof taskReportSchema>;

/** agent -> master (request): register, or re-register when `agentId` is given. */
export const registerAgentRequestSchema = z.object({
  protocolVersion: z.number().int(),
  agentId: idSchema.optional(),
  hostname: z.string().min(1).max(255),
  httpPort: z.number().int().min(0).max(65535).optional(),
  resources: resourcesJsonSchema,
  attributes: attributesSchema,
  version: z.string().min(1).max(64),
  executors: z.array(z.string().min(1).max(64)).max(64),
  tasks: z.array(taskReportSchema).default([]),
});
export type RegisterAgentRequest = z.input<typeof registerAgentRequestSchema>;
export type RegisterAgentRequestParsed = z.infer<typeof registerAgentRequestSchema>;

export const registerAgentReplySchema = replySchema({
  agentId: idSchema,
  epoch: z.number().int(),
  masterId: z.string(),
  heartbeatIntervalMs: z.number().int().positive(),
});
export type RegisterAgentReply = z.infer<typeof registerAgentReplySchema>;

/** agent -> master (request): still alive. */
export const heartbeatRequestSchema = z.object({
  agentId: idSchema,
  epoch: z.number().int().optional(),
});
export type HeartbeatRequest = z.infer<typeof heartbeatRequestSchema>;

/** `reregister: true` tells the agent that this master does not know it: register again. */
export const heartbeatReplySchema = z.object({
  ok: z.boolean(),
  epoch: z.number().int(),
  reregister: z.boolean().optional(),
});
export type HeartbeatReply = z.infer<typeof heartbeatReplySchema>;

/** master -> all agents: a master started leading; agents re-register with it now. */
export const masterHelloSchema = z.object({
  epoch: z.number().int(),
  masterId: z.string(),
});
export type MasterHello = z.infer<typeof masterHelloSchema>;

/** master -> agent: start these tasks (a group: all of them or none). */
export const launchTasksMessageSchema = z.object({
  epoch: z.number().int(),
  frameworkId: idSchema,
  tasks: z.array(taskInfoSchema).min(1).max(1000),
});
export type LaunchTasksMessage = z.input<typeof launchTasksMessageSchema>;

/** master -> agent: kill one task, SIGKILL/forced after the grace period. */
export const killTaskMessageSchema = z.object({
  epoch: z.number().int(),
  frameworkId: idSchema,
  taskId: idSchema,
  gracePeriodMs: z.number().int().min(0).max(3_600_000).optional(),
});
export type KillTaskMessage = z.infer<typeof killTaskMessageSchema>;

/** agent -> master: one status update (status.uuid is required here). */
export const statusUpdateMessageSchema = z.object({
  agentId: idSchema,
  status: taskStatusSchema.extend({ uuid: z.string().min(1).max(64) }),
});
export type StatusUpdateMessage = z.infer<typeof statusUpdateMessageSchema>;

/** master -> agent: this update (taskId, uuid) is acknowledged; send the next one. */
export const statusAckMessageSchema = z.object({
  epoch: z.number().int(),
  taskId: idSchema,
  uuid: z.string().min(1).max(64),
});
export type StatusAckMessage = z.infer<typeof statusAckMessageSchema>;

/**
 * master -> agent: a framework's message for one of its tasks (scheduler call MESSAGE), handed to
 * the task's executor. Best effort: no reply, no retry (Mesos's framework messages are unreliable too).
 */
export const frameworkToExecutorMessageSchema = z.object({
  epoch: z.number().int(),
  frameworkId: idSchema,
  taskId: idSchema,
  data: base64Schema,
});
export type FrameworkToExecutorMessage = z.infer<typeof frameworkToExecutorMessageSchema>;

/** agent -> master: a message a task's executor sends to the task's framework (a MESSAGE event). Best effort. */
export const executorToFrameworkMessageSchema = z.object({
  agentId: idSchema,
  frameworkId: idSchema,
  taskId: idSchema,
  data: base64Schema,
});
export type ExecutorToFrameworkMessage = z.infer<typeof executorToFrameworkMessageSchema>;
