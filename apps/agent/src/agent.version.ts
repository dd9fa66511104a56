import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The Pando version the agent reports: the root package.json's, found by walking up from this
 * file (the same code runs from src/ under jest and from dist/ in production).
 */
export function readAgentVersion(start: string = __dirname): string {
  let dir = start;
  for (let i = 0; i < 8; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'pando' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here; keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return '0.0.0-dev';
}

/** Nest injection tokens for facts established once at start. */
export const AGENT_VERSION = Symbol('AGENT_VERSION');
export const AGENT_RESOURCES = Symbol('AGENT_RESOURCES');
