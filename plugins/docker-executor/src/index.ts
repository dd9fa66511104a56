export { dockerExecutorPlugin } from './docker-executor.plugin';
export { DockerExecutor } from './docker.executor';
export { parseDockerExecutorOptions, DEFAULT_DOCKER_SOCKET, type DockerExecutorOptions, type CpuMode } from './docker-executor.options';
export { validateDockerTask, parseContainerSpec, LABEL_AGENT_ID, LABEL_FRAMEWORK_ID, LABEL_TASK_ID } from './container-spec.validator';
export { containerName } from './container-config.builder';
