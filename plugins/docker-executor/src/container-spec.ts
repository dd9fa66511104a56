/** The task container spec lives in the protocol; the plugin re-exports what it uses. */
export {
  containerSpecSchema,
  dockerSpecSchema,
  effectivePullPolicy,
  IMAGE_REFERENCE_PATTERN,
  type ContainerSpec,
  type DockerNetwork,
  type DockerSpec,
  type PortMapping,
  type PullPolicy,
  type VolumeSpec,
} from '@pando/protocol';
