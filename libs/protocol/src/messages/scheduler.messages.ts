import { z } from 'zod';
import { resourcesJsonSchema } from '@pando/resources';
import { exactlyOneOf } from '../batch-codec';
import { withFastPath } from '../fast-path/fast-path';
import { isHotSchedulerCall, isHotSchedulerEvent, isPlainOkReply } from '../fast-path/message-checks';
import { attributesSchema, base64Schema, errorJsonSchema, idSchema, labelsSchema, replySchema } from './common.schema';
import { taskInfoSchema, taskStatusSchema, type TaskStatus } from './task.schema';

/** The most acknowledgements one ACKNOWLEDGE call, or updates one UPDATE event, carries. */
export const MAX_SCHEDULER_BATCH = 1000;

/**
 * The framework side of the protocol, modelled on Apache Mesos's v1 scheduler API.
 * Calls are NATS requests on Subjects.schedulerCall (each answered with ok or a typed error);
 * events are published by the leading master on Subjects.frameworkEvents(frameworkId).
 * The master also uses that subject for HEARTBEAT *requests*: a framework whose driver does not
 * answer is disconnected, and its failover timeout starts.
 */

export const ONE_WEEK_SECONDS = 7 * 24 * 3600;

/** Capabilities a framework may declare, as in Mesos. */
export const FRAMEWORK_CAPABILITIES = ['PARTITION_AWARE', 'MULTI_ROLE', 'TASK_KILLING_STATE', 'REVOCABLE_RESOURCES', 'GPU_RESOURCES'] as const;

export const roleSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^(\*|[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*)$/, 'must be "*" or names of letters, digits, "_", "-", "." separated by "/"');

export const frameworkInfoSchema = z.object({
  id: idSchema.optional(),
  name: z.string().min(1).max(256),
  user: z.string().max(64).optional(),
  roles: z.array(roleSchema).min(1).max(64).default(['*']),
  principal: z.string().max(256).optional(),
  failoverTimeoutSeconds: z.number().min(0).max(10 * 365 * 24 * 3600).default(ONE_WEEK_SECONDS),
  capabilities: z.array(z.enum(FRAMEWORK_CAPABILITIES)).default([]),
  labels: labelsSchema.optional(),
  hostname: z.string().max(255).optional(),
  webuiUrl: z.string().max(2048).optional(),
});
export type FrameworkInfo = z.infer<typeof frameworkInfoSchema>;
export type FrameworkInfoInput = z.input<typeof frameworkInfoSchema>;

/** A task as a framework describes it in LAUNCH: a TaskInfo without frameworkId (the master adds it). */
export const taskSpecSchema = taskInfoSchema.omit({ frameworkId: true });
export type TaskSpec = z.input<typeof taskSpecSchema>;

export const filtersSchema = z.object({ refuseSeconds: z.number().min(0).max(365 * 24 * 3600).default(5) });

export const operationSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('LAUNCH'), launch: z.object({ taskInfos: z.array(taskSpecSchema).min(1).max(1000) }) }),
  z.object({
    type: z.literal('LAUNCH_GROUP'),
    launchGroup: z.object({ taskGroup: z.object({ tasks: z.array(taskSpecSchema).min(1).max(1000) }) }),
  }),
  /**
   * Dynamic reservation: `resources` are named as they will be once reserved, each with the role
   * (one of the framework's, and the role its offer was made in) and optionally
   * `reservation: {type: 'DYNAMIC', principal?, labels?}`; the master fills in the framework's
   * principal. Their unreserved equivalent must be in what the offers have left.
   */
  z.object({ type: z.literal('RESERVE'), reserve: z.object({ resources: resourcesJsonSchema }) }),
  /** Gives dynamically reserved resources of the offers back to the unreserved pool (named exactly as offered). */
  z.object({ type: z.literal('UNRESERVE'), unreserve: z.object({ resources: resourcesJsonSchema }) }),
]);
export type Operation = z.input<typeof operationSchema>;

const withFramework = { frameworkId: idSchema };

export const acknowledgementSchema = z.object({ agentId: idSchema, taskId: idSchema, uuid: z.string().min(1).max(64) });
export type Acknowledgement = z.infer<typeof acknowledgementSchema>;

export const schedulerCallSchema = withFastPath(
  z.discriminatedUnion('type', [
  z.object({ type: z.literal('SUBSCRIBE'), frameworkId: idSchema.optional(), subscribe: z.object({ frameworkInfo: frameworkInfoSchema }) }),
  z.object({
    type: z.literal('ACCEPT'),
    ...withFramework,
    accept: z.object({ offerIds: z.array(idSchema).min(1).max(10_000), operations: z.array(operationSchema).max(1000), filters: filtersSchema.optional() }),
  }),
  z.object({
    type: z.literal('DECLINE'),
    ...withFramework,
    decline: z.object({ offerIds: z.array(idSchema).min(1).max(10_000), filters: filtersSchema.optional() }),
  }),
  z.object({ type: z.literal('REVIVE'), ...withFramework, revive: z.object({ roles: z.array(roleSchema).optional() }).default({}) }),
  z.object({ type: z.literal('SUPPRESS'), ...withFramework, suppress: z.object({ roles: z.array(roleSchema).optional() }).default({}) }),
  z.object({
    type: z.literal('KILL'),
    ...withFramework,
    kill: z.object({ taskId: idSchema, agentId: idSchema.optional(), killPolicy: z.object({ gracePeriodMs: z.number().int().min(0).max(3_600_000) }).optional() }),
  }),
  /** Kills every task of this framework on one agent (Mesos shuts the executor down). */
  z.object({ type: z.literal('SHUTDOWN'), ...withFramework, shutdown: z.object({ agentId: idSchema }) }),
  /**
   * One update (`acknowledge`, as in Mesos) or several at once (`acknowledgements`, each applied on
   * its own: the SDK driver batches the updates it processed in one turn). Exactly one of the two.
   */
  z
    .object({
      type: z.literal('ACKNOWLEDGE'),
      ...withFramework,
      acknowledge: acknowledgementSchema.optional(),
      acknowledgements: z.array(acknowledgementSchema).min(1).max(MAX_SCHEDULER_BATCH).optional(),
    })
    .refine(...exactlyOneOf('acknowledge', 'acknowledgements')),
  /** An empty task list asks for implicit reconciliation: every task the master knows. */
  z.object({
    type: z.literal('RECONCILE'),
    ...withFramework,
    reconcile: z.object({ tasks: z.array(z.object({ taskId: idSchema, agentId: idSchema.optional() })).max(100_000) }).default({ tasks: [] }),
  }),
  /** framework -> task: `data` is base64 (at most MAX_MESSAGE_BYTES bytes); best effort, like Mesos's framework messages. */
  z.object({ type: z.literal('MESSAGE'), ...withFramework, message: z.object({ agentId: idSchema, taskId: idSchema, data: base64Schema }) }),
  z.object({ type: z.literal('TEARDOWN'), ...withFramework }),
  z.object({ type: z.literal('UPDATE_FRAMEWORK'), ...withFramework, updateFramework: z.object({ frameworkInfo: frameworkInfoSchema }) }),
]),
  isHotSchedulerCall,
);
export type SchedulerCall = z.input<typeof schedulerCallSchema>;
export type SchedulerCallParsed = z.infer<typeof schedulerCallSchema>;
export type SchedulerCallType = SchedulerCallParsed['type'];

/** The acknowledgements of an ACKNOWLEDGE call, whichever form it came in. */
export function acknowledgementsOf(call: Extract<SchedulerCallParsed, { type: 'ACKNOWLEDGE' }>): Acknowledgement[] {
  return call.acknowledgements ?? (call.acknowledge ? [call.acknowledge] : []);
}

/** SUBSCRIBE answers with the id and the heartbeat interval; other calls with ok (and ACCEPT's per-offer refusals). */
export const schedulerCallReplySchema = withFastPath(replySchema({
  frameworkId: idSchema.optional(),
  heartbeatIntervalSeconds: z.number().optional(),
  epoch: z.number().int().optional(),
  masterId: z.string().optional(),
  /** ACCEPT: offers that could not be used (rescinded, expired, already used), with why. */
  refusedOffers: z.array(z.object({ offerId: z.string(), reason: z.string() })).optional(),
  /**
   * ACCEPT: RESERVE/UNRESERVE operations that were refused (bad role, more than offered, not
   * reserved...), by their index in `operations`, each with a typed error listing every problem.
   * A refused operation changed nothing; the operations after it were still carried out.
   */
  refusedOperations: z.array(z.object({ index: z.number().int().min(0), type: z.enum(['RESERVE', 'UNRESERVE']), error: errorJsonSchema })).optional(),
}), isPlainOkReply);
export type SchedulerCallReply = z.infer<typeof schedulerCallReplySchema>;

export const offerSchema = z.object({
  id: idSchema,
  frameworkId: idSchema,
  agentId: idSchema,
  hostname: z.string(),
  resources: resourcesJsonSchema,
  attributes: attributesSchema,
  executors: z.array(z.string()),
  allocationInfo: z.object({ role: roleSchema }),
});
export type Offer = z.infer<typeof offerSchema>;

const withEpoch = { epoch: z.number().int() };
const updateSchema = z.object({ status: taskStatusSchema });

export const schedulerEventSchema = withFastPath(
  z.discriminatedUnion('type', [
  z.object({ type: z.literal('SUBSCRIBED'), ...withEpoch, subscribed: z.object({ frameworkId: idSchema, heartbeatIntervalSeconds: z.number(), masterId: z.string() }) }),
  z.object({ type: z.literal('OFFERS'), ...withEpoch, offers: z.array(offerSchema) }),
  z.object({ type: z.literal('RESCIND'), ...withEpoch, rescind: z.object({ offerId: idSchema }) }),
  /**
   * status.uuid present: the framework must ACKNOWLEDGE it (the driver does, after the callback).
   * One update (`update`), or several in order (`updates`, each delivered as if it had come alone).
   */
  z
    .object({
      type: z.literal('UPDATE'),
      ...withEpoch,
      update: updateSchema.optional(),
      updates: z.array(updateSchema).min(1).max(MAX_SCHEDULER_BATCH).optional(),
    })
    .refine(...exactlyOneOf('update', 'updates')),
  /** task -> framework: what the task's executor sent (`data` base64). */
  z.object({ type: z.literal('MESSAGE'), ...withEpoch, message: z.object({ agentId: idSchema, taskId: idSchema.optional(), data: base64Schema }) }),
  z.object({ type: z.literal('FAILURE'), ...withEpoch, failure: z.object({ agentId: idSchema.optional(), taskId: idSchema.optional(), status: z.number().int().optional() }) }),
  z.object({ type: z.literal('ERROR'), ...withEpoch, error: z.object({ message: z.string() }) }),
  z.object({ type: z.literal('HEARTBEAT'), ...withEpoch }),
]),
  isHotSchedulerEvent,
);
export type SchedulerEvent = z.infer<typeof schedulerEventSchema>;
export type SchedulerEventType = SchedulerEvent['type'];

/** The statuses of an UPDATE event, in order, whichever form it came in. */
export function updatesOf(event: Extract<SchedulerEvent, { type: 'UPDATE' }>): TaskStatus[] {
  if (event.updates) return event.updates.map((u) => u.status);
  return event.update ? [event.update.status] : [];
}
