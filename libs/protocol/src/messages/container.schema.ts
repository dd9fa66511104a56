import { z } from 'zod';

/**
 * The container a task runs in: `TaskInfo.container` when `TaskInfo.executor` is 'docker'.
 * TaskInfo keeps `container` as an open record so that other container executors can define
 * their own shape; the Docker executor validates it against this schema. Only syntax lives here
 * (what any agent would refuse); policy (volume allow-lists, privileged mode, the task's ports)
 * is checked by the executor, which knows the agent's options.
 */

// The image reference grammar of the Docker distribution project (github.com/distribution/reference):
// [registry[:port]/]path[:tag][@digest], path components lower case.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
/** A Docker image reference such as `busybox`, `nginx:1.27`, `registry:5000/team/app@sha256:...`. */
export const IMAGE_REFERENCE_PATTERN = new RegExp(
  `^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`,
);
/** Docker refuses repository names longer than this. */
export const MAX_IMAGE_NAME_LENGTH = 255;

const absolutePath = (what: string) =>
  z
    .string()
    .min(1)
    .max(4096)
    .refine((p) => p.startsWith('/'), `${what} must be an absolute path`)
    .refine((p) => !p.split('/').includes('..'), `${what} must not contain '..'`)
    .refine((p) => !p.includes('\0') && !p.includes(':'), `${what} must not contain ':' or NUL`);

export const imageReferenceSchema = z
  .string()
  .refine(
    (image) => IMAGE_REFERENCE_PATTERN.test(image) && image.split(/[:@]/)[0]!.length <= MAX_IMAGE_NAME_LENGTH,
    { error: (issue) => `'${String(issue.input)}' is not a valid image reference (like 'busybox', 'nginx:1.27' or 'registry:5000/team/app@sha256:...')` },
  );

export const pullPolicySchema = z.enum(['always', 'if-not-present', 'never']);
export type PullPolicy = z.infer<typeof pullPolicySchema>;

export const dockerNetworkSchema = z.enum(['bridge', 'host', 'none']);
export type DockerNetwork = z.infer<typeof dockerNetworkSchema>;

export const portMappingSchema = z.object({
  containerPort: z.number().int().min(1).max(65535),
  /** 0 picks the next of the task's `ports` resources not used by another mapping. */
  hostPort: z.number().int().min(0).max(65535),
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
});
export type PortMapping = z.infer<typeof portMappingSchema>;

export const volumeSchema = z.object({
  hostPath: absolutePath('hostPath'),
  containerPath: absolutePath('containerPath'),
  mode: z.enum(['RO', 'RW']),
});
export type VolumeSpec = z.infer<typeof volumeSchema>;

export const dockerSpecSchema = z.object({
  image: imageReferenceSchema,
  /** Mesos/Marathon's flag: true means pullPolicy 'always'. */
  forcePullImage: z.boolean().optional(),
  /** Default 'if-not-present' (or 'always' when forcePullImage is true). */
  pullPolicy: pullPolicySchema.optional(),
  network: dockerNetworkSchema.default('bridge'),
  portMappings: z.array(portMappingSchema).max(1000).optional(),
  privileged: z.boolean().optional(),
  /** Linux capabilities to add, with or without the CAP_ prefix (NET_ADMIN, CAP_SYS_TIME). */
  capabilities: z.array(z.string().regex(/^[A-Za-z_]{1,64}$/, 'must be a capability name like NET_ADMIN')).max(64).optional(),
  /** Free-form `docker run` parameters, as in Mesos; executors may ignore them (with a log). */
  parameters: z.array(z.object({ key: z.string().min(1).max(256), value: z.string().max(4096) })).max(100).optional(),
  /** The user the container's process runs as: `name`, `uid`, `uid:gid`. */
  user: z.string().min(1).max(256).optional(),
  workingDir: absolutePath('workingDir').optional(),
  labels: z.record(z.string().min(1).max(256), z.string().max(4096)).optional(),
  /** Grace between SIGTERM and SIGKILL when the task is killed; wins over the kill's own grace. */
  stopGracePeriodMs: z.number().int().min(0).max(3_600_000).optional(),
}).refine((docker) => !(docker.forcePullImage === true && docker.pullPolicy === 'never'), {
  message: "forcePullImage: true contradicts pullPolicy 'never'",
  path: ['pullPolicy'],
});
export type DockerSpec = z.infer<typeof dockerSpecSchema>;

export const containerSpecSchema = z.object({
  type: z.literal('DOCKER', { error: (issue) => `container type must be 'DOCKER' (got ${JSON.stringify(issue.input)})` }),
  docker: dockerSpecSchema,
  volumes: z.array(volumeSchema).max(100).optional(),
});
export type ContainerSpec = z.infer<typeof containerSpecSchema>;

/** The pull policy in effect for a spec: forcePullImage wins, as in Marathon. */
export function effectivePullPolicy(docker: Pick<DockerSpec, 'forcePullImage' | 'pullPolicy'>): PullPolicy {
  if (docker.forcePullImage === true) return 'always';
  return docker.pullPolicy ?? 'if-not-present';
}
