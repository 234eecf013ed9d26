import { checkConfiguration } from '../config/check-configuration.js';
import { formatProblem } from '../config/config-error.js';

export interface CheckConfigRequest {
  file: string;
  calendarsDir: string;
  env: Readonly<Record<string, string | undefined>>;
  /** --no-env: every `${NAME}` is taken as set. */
  noEnv: boolean;
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `shipgate check-config`: every problem of every file in one report; exit 0 when valid, 1 when not. */
export function checkConfig(request: CheckConfigRequest): { code: 0 | 1; text: string } {
  const check = checkConfiguration(request.file, request.calendarsDir, request.env, { unsetVariables: request.noEnv ? 'accept' : 'error' });
  const lines: string[] = [];
  if (check.problems.length > 0) {
    lines.push(`${check.file}: NOT VALID, ${count(check.problems.length, 'problem')}:`);
    for (const problem of check.problems) lines.push(`  ${formatProblem(problem)}`);
  } else {
    const { apps, environments } = check.loaded!.config;
    lines.push(`${check.file}: valid (${count(Object.keys(apps).length, 'app')}, ${count(Object.keys(environments).length, 'environment')})`);
    for (const calendar of check.calendars) lines.push(`${calendar}: valid`);
  }
  if (check.variables.length > 0) {
    const names = check.variables.join(', ');
    lines.push(request.noEnv ? `needs these environment variables at run time (not checked, --no-env): ${names}` : `reads these environment variables: ${names}`);
  }
  return { code: check.problems.length > 0 ? 1 : 0, text: `${lines.join('\n')}\n` };
}
