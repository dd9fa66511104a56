import { z } from 'zod';

/** The key of the leader lease in the registry bucket. */
export const LEADER_KEY = 'leader';

/** The value of the lease: who leads and where clients reach it (standbys proxy or redirect there). */
export const leaderInfoSchema = z.object({
  masterId: z.string().min(1).max(200),
  hostname: z.string().min(1).max(255),
  /** The HTTP port the leader is reached at. */
  port: z.number().int().min(0).max(65535),
  /** Base URL of the leader's HTTP API, `http://host:port`. */
  url: z.string().min(1).max(512),
  /** Mesos-style process id, `master@host:port`. */
  pid: z.string().min(1).max(512),
});
export type LeaderInfo = z.infer<typeof leaderInfoSchema>;

/** The lease value read from KV, or undefined when it is not one (never trusted blindly). */
export function parseLeaderInfo(value: unknown): LeaderInfo | undefined {
  const parsed = leaderInfoSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
