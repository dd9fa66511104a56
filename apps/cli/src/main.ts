import { describeError } from '@pando/common';
import { runDevCluster } from './dev/dev-cluster.command';

/** `pando <command>`: operator commands. */
const commands: Record<string, (argv: string[]) => Promise<void>> = {
  dev: runDevCluster,
};

async function main(): Promise<void> {
  const [name, ...argv] = process.argv.slice(2);
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(`usage: pando <${Object.keys(commands).join('|')}> [options]\n`);
    process.exit(2);
  }
  await command(argv);
}

main().catch((err: unknown) => {
  process.stderr.write(`pando: ${describeError(err)}\n`);
  process.exit(1);
});
