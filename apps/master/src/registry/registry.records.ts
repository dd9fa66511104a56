import { z } from 'zod';
import { attributesSchema, frameworkInfoSchema, idSchema } from '@pando/protocol';
import { resourcesJsonSchema } from '@pando/resources';

/**
 * What the registry bucket holds, one key per record (values are JSON, validated when read: a
 * record that does not parse is logged and skipped, never trusted):
 *
 * - `leader`: the leader lease (election/leader-info.ts);
 * - `agents.<id>`: an agent admitted by some leader, or unreachable, with its dynamic reservations;
 * - `frameworks.<id>`: a framework with its info (roles, failover timeout, capabilities), the
 *   connection it subscribed from, and whether it is active, disconnected (since when) or removed;
 * - `policy`: role weights and quotas.
 *
 * Tasks are not stored: a new leader rebuilds them from agents re-registering and frameworks
 * re-subscribing and reconciling. Heartbeats are not stored either.
 */
export const AGENTS_PREFIX = 'agents.';
export const FRAMEWORKS_PREFIX = 'frameworks.';
export const POLICY_KEY = 'policy';

export const storedAgentSchema = z.object({
  id: idSchema,
  hostname: z.string().min(1).max(255),
  httpPort: z.number().int().min(0).max(65535).optional(),
  version: z.string().min(1).max(64),
  attributes: attributesSchema,
  executors: z.array(z.string().min(1).max(64)).max(64),
  /** What the agent reports (without dynamic reservations). */
  resources: resourcesJsonSchema,
  /** Dynamic reservations made on it (RESERVE), applied on top of what it reports. */
  reservations: resourcesJsonSchema.optional(),
  /** When a leader first admitted it (ms since the epoch). */
  registeredTime: z.number(),
  state: z.enum(['admitted', 'unreachable']),
  /** When it was marked unreachable (ms since the epoch). */
  unreachableTime: z.number().optional(),
});
export type StoredAgent = z.infer<typeof storedAgentSchema>;

export const storedFrameworkSchema = z.object({
  id: idSchema,
  info: frameworkInfoSchema,
  registeredTime: z.number(),
  state: z.enum(['active', 'disconnected', 'removed']),
  /** The reply-inbox prefix of the connection it subscribed from (its session). */
  connection: z.string().max(512).optional(),
  /** When it was disconnected or removed (ms since the epoch): its failover deadline runs from here. */
  unregisteredTime: z.number().optional(),
  removalReason: z.string().max(1024).optional(),
});
export type StoredFramework = z.infer<typeof storedFrameworkSchema>;

export const storedPolicySchema = z.object({
  weights: z.record(z.string(), z.number().positive()),
  quotas: z.record(z.string(), z.object({ guarantee: resourcesJsonSchema, limit: resourcesJsonSchema })),
});
export type StoredPolicy = z.infer<typeof storedPolicySchema>;

/** Everything a new leader reads from the registry. */
export interface RegistrySnapshot {
  agents: StoredAgent[];
  frameworks: StoredFramework[];
  policy?: StoredPolicy;
  /** The JSON of every record read, by key: what is already stored need not be written again. */
  stored: Map<string, string>;
  /** Keys whose values did not parse (logged, skipped, left in place). */
  invalid: string[];
}

/**
 * KV keys allow `[-/_=.a-zA-Z0-9]`; ids may also hold ':' (and the framework's own choice of id),
 * so every other character is written `=XX` (hex). The id itself is kept in the value.
 */
export function registryKey(prefix: string, id: string): string {
  return prefix + id.replace(/[^-_a-zA-Z0-9]/g, (c) => `=${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
