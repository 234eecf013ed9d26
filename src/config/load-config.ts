import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error.js';
import { parseYamlWith, type VariableOptions } from './load-yaml.js';
import { configSchema, type ShipgateConfig } from './schema.js';

export interface LoadedConfig {
  config: ShipgateConfig;
  /** SHA-256 of the file as written (before `${NAME}` substitution, so no secret goes into it). */
  hash: string;
  file: string;
}

export function parseConfig(text: string, file: string, env: Readonly<Record<string, string | undefined>>, options: VariableOptions = {}): LoadedConfig {
  const config = parseYamlWith(configSchema, text, file, env, options);
  return { config, hash: createHash('sha256').update(text).digest('hex'), file };
}

export function loadConfig(file: string, env: Readonly<Record<string, string | undefined>>, options: VariableOptions = {}): LoadedConfig {
  return parseConfig(readConfigText(file), file, env, options);
}

/** The text of the configuration file, or a ConfigError that says how to get one. */
export function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'file not found (write a starter with "shipgate init", copy shipgate.example.yml, or set SHIPGATE_CONFIG)'
        : (error as Error).message;
    throw new ConfigError([{ file, line: null, path: '', message: reason }]);
  }
}
