import { z } from 'zod';
import { withFastPath } from '../fast-path/fast-path';
import { isPlainOkReply } from '../fast-path/message-checks';
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

/**
 * Opaque bytes as base64 (framework messages). 1 MiB of base64 carries 768 KiB of data and keeps
 * every message well under NATS's default max_payload (1 MB) with its envelope.
 */
export const MAX_MESSAGE_BASE64_CHARS = 1_048_576;
/** The most bytes one framework message carries (before base64). */
export const MAX_MESSAGE_BYTES = (MAX_MESSAGE_BASE64_CHARS / 4) * 3;
export const base64Schema = z
  .string()
  .max(MAX_MESSAGE_BASE64_CHARS)
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be base64 (A-Z, a-z, 0-9, "+", "/", "=" padding)');

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

export const okReplySchema = withFastPath(replySchema({}), isPlainOkReply);
export type OkReply = z.infer<typeof okReplySchema>;
