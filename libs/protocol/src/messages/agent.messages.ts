import { z } from 'zod';
import { resourcesJsonSchema } from '@pando/resources';
import { exactlyOneOf } from '../batch-codec';
import { withFastPath } from '../fast-path/fast-path';
import { isLaunchTasksMessage, isStatusAckMessage, isStatusUpdateMessage } from '../fast-path/message-checks';
import { attributesSchema, base64Schema, idSchema, replySchema } from './common.schema';
import { taskInfoSchema, taskStatusSchema, type TaskInfo } from './task.schema';

/** The most items one batched message carries (launch groups, status updates, acknowledgements). */
export const MAX_BATCH_ITEMS = 1000;

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

const taskGroupSchema = z.array(taskInfoSchema).min(1).max(1000);

/**
 * master -> agent: start tasks. `tasks` is one group (all of its tasks start, or none); `groups`
 * carries several independent groups in one message (each task of an ACCEPT's LAUNCH is a group
 * of its own), handled in order as if each had come alone. Exactly one of the two.
 */
export const launchTasksMessageSchema = withFastPath(
  z
    .object({
      epoch: z.number().int(),
      frameworkId: idSchema,
      tasks: taskGroupSchema.optional(),
      groups: z.array(taskGroupSchema).min(1).max(MAX_BATCH_ITEMS).optional(),
    })
    .refine(...exactlyOneOf('tasks', 'groups')),
  isLaunchTasksMessage,
);
export type LaunchTasksMessage = z.input<typeof launchTasksMessageSchema>;
export type LaunchTasksMessageParsed = z.infer<typeof launchTasksMessageSchema>;

/** The groups of a launch message, whichever form it came in. */
export function launchGroupsOf(message: LaunchTasksMessageParsed): TaskInfo[][] {
  return message.groups ?? (message.tasks ? [message.tasks] : []);
}

/** master -> agent: kill one task, SIGKILL/forced after the grace period. */
export const killTaskMessageSchema = z.object({
  epoch: z.number().int(),
  frameworkId: idSchema,
  taskId: idSchema,
  gracePeriodMs: z.number().int().min(0).max(3_600_000).optional(),
});
export type KillTaskMessage = z.infer<typeof killTaskMessageSchema>;

/** A status update as an agent sends it: status.uuid is required. */
export const agentStatusSchema = taskStatusSchema.extend({ uuid: z.string().min(1).max(64) });
export type AgentStatus = z.infer<typeof agentStatusSchema>;

/**
 * agent -> master: one status update (`status`), or several of the agent's tasks at once
 * (`statuses`, each handled as if it had come alone). Exactly one of the two.
 */
export const statusUpdateMessageSchema = withFastPath(
  z
    .object({
      agentId: idSchema,
      status: agentStatusSchema.optional(),
      statuses: z.array(agentStatusSchema).min(1).max(MAX_BATCH_ITEMS).optional(),
    })
    .refine(...exactlyOneOf('status', 'statuses')),
  isStatusUpdateMessage,
);
/** The single form, as the agent's status update manager makes it. */
export interface StatusUpdateMessage {
  agentId: string;
  status: AgentStatus;
}
export type StatusUpdateBatch = z.infer<typeof statusUpdateMessageSchema>;

/** The statuses of a status update message, whichever form it came in. */
export function statusesOf(message: StatusUpdateBatch): AgentStatus[] {
  return message.statuses ?? (message.status ? [message.status] : []);
}

const ackSchema = z.object({ taskId: idSchema, uuid: z.string().min(1).max(64) });
export type StatusAck = z.infer<typeof ackSchema>;

/**
 * master -> agent: these updates are acknowledged; send the next one of each task. One
 * (`taskId`, `uuid`), or several at once (`acks`), never both.
 */
export const statusAckMessageSchema = withFastPath(
  z
    .object({
      epoch: z.number().int(),
      taskId: idSchema.optional(),
      uuid: z.string().min(1).max(64).optional(),
      acks: z.array(ackSchema).min(1).max(MAX_BATCH_ITEMS).optional(),
    })
    .refine((m) => (m.acks === undefined) !== (m.taskId === undefined && m.uuid === undefined), {
      message: "needs either 'taskId' and 'uuid' or 'acks' (not both)",
    })
    .refine((m) => (m.taskId === undefined) === (m.uuid === undefined), { message: "'taskId' and 'uuid' go together" }),
  isStatusAckMessage,
);
export type StatusAckMessage = z.infer<typeof statusAckMessageSchema>;

/** The acknowledgements of a status ack message, whichever form it came in. */
export function acksOf(message: StatusAckMessage): StatusAck[] {
  if (message.acks) return message.acks;
  return message.taskId !== undefined && message.uuid !== undefined ? [{ taskId: message.taskId, uuid: message.uuid }] : [];
}

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
