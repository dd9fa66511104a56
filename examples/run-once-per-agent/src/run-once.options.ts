import { Resources } from '@pando/resources';

/** The plugin's options, from `--plugin-opts run-once-per-agent.<key>=<value>,...`. */
export interface RunOnceOptions {
  /** Shell line run once on every agent. */
  command: string;
  /** What each run asks for, Mesos text form. */
  resources: Resources;
}

export const DEFAULT_COMMAND = 'echo "hello from $(hostname)"';
export const DEFAULT_RESOURCES = 'cpus:0.1;mem:32';

/** Validates the options the host passed in the context; throws listing every problem. */
export function readRunOnceOptions(raw: Readonly<Record<string, string>>): RunOnceOptions {
  const problems: string[] = [];
  const known = new Set(['command', 'resources']);
  for (const key of Object.keys(raw)) if (!known.has(key)) problems.push(`unknown option '${key}' (known: ${[...known].join(', ')})`);
  const command = raw.command ?? DEFAULT_COMMAND;
  if (command.trim() === '') problems.push('command must not be empty');
  let resources = Resources.empty();
  try {
    resources = Resources.parse(raw.resources ?? DEFAULT_RESOURCES);
  } catch (err) {
    problems.push(`resources: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (problems.length > 0) throw new Error(`run-once-per-agent options: ${problems.join('; ')}`);
  return { command, resources };
}
