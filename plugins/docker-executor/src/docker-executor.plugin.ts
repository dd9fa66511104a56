import { defineExecutorPlugin, EXECUTOR_API_VERSION, type ExecutorContext, type ExecutorPlugin } from '@pando/sdk';
import { parseDockerExecutorOptions } from './docker-executor.options';
import { DockerExecutor } from './docker.executor';

/**
 * The Docker executor plugin: `--executors command,docker` on the agent. Its options are read
 * (and refused, listing every problem) when the agent creates it, not when a task first needs it.
 */
export const dockerExecutorPlugin: ExecutorPlugin = defineExecutorPlugin({
  id: 'docker',
  apiVersion: EXECUTOR_API_VERSION,
  create: (context: ExecutorContext) => new DockerExecutor(context, parseDockerExecutorOptions(context.options)),
});
