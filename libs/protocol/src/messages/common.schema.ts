import { z } from 'zod';
import { TASK_REASONS, TASK_STATES } from '../task-state';

/** Ids travel inside subjects: no dots, wildcards or spaces. */
export const idSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_\-:]+$/, 'must contain only letters, digits, "_", "-" and ":"');

export const taskStateSchema = z.enum(TASK_STATES);
/** Known Mesos reasons, plus any other string so that plugins may add their own. */
export const taskReasonSchema = z.union([z.enum(TASK_REASONS), z.string().min(1).max(100)]);

export const errorJsonSchema = z.object({
  code: z.enum(['INPUT', 'NOT_FOUND', 'CONFLICT', 'NOT_SUPPORTED', 'UNAVAILABLE', 'INTERNAL']),
  message: z.string(),
  details: z.array(z.string()).optional(),
});

export const labelsSchema = z.record(z.string().max(256), z.string().max(4096));

/** Agent attributes, as Mesos shows them: `rack:r1;level:10` -> {rack: 'r1', level: 10}. */
export const attributesSchema = z.record(z.string().min(1).max(128), z.union([z.string().max(1024), z.number()]));

/** A reply that carries either a result or a typed error. */
export function replySchema<T extends z.ZodRawShape>(shape: T) {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), ...shape }),
    z.object({ ok: z.literal(false), error: errorJsonSchema }),
  ]);
}

export const okReplySchema = replySchema({});
export type OkReply = z.infer<typeof okReplySchema>;
