import 'reflect-metadata';
import { createLogger, describeError, InputError } from '@pando/common';
import { startAgent, type RunningAgent } from './agent.bootstrap';
import { agentHelp, readAgentConfig, type AgentConfig } from './agent.options';
import { knownExecutorIds } from './executors/executor-catalog';

/**
 * Entry point: `node dist/apps/agent/src/main.js [flags]`. Bad configuration (including an
 * unparseable --resources) exits 1 with the message on stderr, before anything connects.
 */
async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`Usage: pando-agent [flags]\n\n${agentHelp()}\n`);
    return;
  }
  let config: AgentConfig;
  try {
    config = readAgentConfig(knownExecutorIds(), argv);
  } catch (err) {
    process.stderr.write(`${describeError(err)}\n`);
    process.exit(1);
  }
  const log = createLogger('agent');
  let agent: RunningAgent | undefined;
  let exiting = false;
  // Stops once (signals and fatal conditions may race); tasks keep running in their own groups.
  const exit = (code: number, reason: string): void => {
    if (exiting) return;
    exiting = true;
    log.info({ code, reason }, `agent stopping: ${reason}`);
    void (agent?.stop() ?? Promise.resolve()).finally(() => process.exit(code));
  };
  process.on('SIGTERM', () => exit(0, 'SIGTERM'));
  process.on('SIGINT', () => exit(0, 'SIGINT'));
  try {
    agent = await startAgent(config, { exit });
  } catch (err) {
    if (err instanceof InputError) process.stderr.write(`${err.message}\n`);
    log.error({ err: describeError(err) }, `agent failed to start: ${describeError(err)}`);
    process.exit(1);
  }
}

void main();
