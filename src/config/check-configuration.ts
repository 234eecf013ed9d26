import { parseDocument } from 'yaml';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { checkCalendars } from './load-calendars.js';
import { parseConfig, readConfigText, type LoadedConfig } from './load-config.js';
import { referencedVariables, type VariableOptions } from './load-yaml.js';

export interface ConfigurationCheck {
  file: string;
  /** The configuration, when it has no problem of its own. */
  loaded: LoadedConfig | null;
  /** Every problem of the configuration file, then of each calendar file. */
  problems: ConfigProblem[];
  /** The calendar files that were read and are valid. */
  calendars: string[];
  /** The `${NAME}` variables the configuration reads. */
  variables: string[];
}

/**
 * Validates shipgate.yml and every calendar it implies, collecting the problems of all files
 * instead of stopping at the first, so one run says everything there is to fix.
 */
export function checkConfiguration(file: string, calendarsDir: string, env: Readonly<Record<string, string | undefined>>, options: VariableOptions = {}): ConfigurationCheck {
  let text: string;
  try {
    text = readConfigText(file);
  } catch (error) {
    if (error instanceof ConfigError) return { file, loaded: null, problems: error.problems, calendars: [], variables: [] };
    throw error;
  }
  const problems: ConfigProblem[] = [];
  let loaded: LoadedConfig | null = null;
  try {
    loaded = parseConfig(text, file, env, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  const calendars = checkCalendars(loaded?.config.environments ?? environmentsWrittenIn(text), calendarsDir);
  return { file, loaded, problems: [...problems, ...calendars.problems], calendars: calendars.files, variables: referencedVariables(text) };
}

/** The environments as written, read leniently from a file that does not validate (for its calendars). */
function environmentsWrittenIn(text: string): Record<string, { calendar?: string }> {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) return {};
  const environments = (doc.toJS() as { environments?: unknown } | null)?.environments;
  if (!environments || typeof environments !== 'object' || Array.isArray(environments)) return {};
  return Object.fromEntries(
    Object.entries(environments as Record<string, unknown>).map(([name, value]) => {
      const calendar = (value as { calendar?: unknown } | null)?.calendar;
      return [name, typeof calendar === 'string' ? { calendar } : {}];
    }),
  );
}
