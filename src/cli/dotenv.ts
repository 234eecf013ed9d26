import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';

export interface DotEnv {
  file: string;
  /** The variables taken from the file (those not already set in the environment). */
  applied: string[];
  /** The variables the file sets but the environment already had: the environment wins. */
  overridden: string[];
}

/**
 * Reads `.env` in DIR into ENV when the file exists. Node's own parser (the one behind
 * --env-file) reads it; variables already set in the environment win, so a deployment's real
 * settings are never replaced by a file left in the working directory.
 */
export function loadDotEnv(dir: string, env: NodeJS.ProcessEnv): DotEnv | null {
  const file = join(dir, '.env');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const applied: string[] = [];
  const overridden: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (value === undefined) continue;
    if (env[name] !== undefined) {
      overridden.push(name);
      continue;
    }
    env[name] = value;
    applied.push(name);
  }
  return { file, applied, overridden };
}
