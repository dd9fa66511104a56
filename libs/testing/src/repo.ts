import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root (the folder whose package.json is named 'pando'), from src or dist alike. */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'pando') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the pando repository root above ${__dirname}`);
    dir = parent;
  }
}

/** The built entry point of an app; tests run what production runs (build first: npm run build). */
export function appEntry(app: 'master' | 'agent' | 'framework-host' | 'cli'): string {
  const entry = join(repoRoot(), 'dist', 'apps', app, 'src', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run 'npm run build' first`);
  return entry;
}
