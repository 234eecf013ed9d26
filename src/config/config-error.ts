export interface ConfigProblem {
  file: string;
  line: number | null;
  /** Dotted path inside the file, such as `environments.production.approvals.required`. */
  path: string;
  message: string;
}

/** A configuration that cannot be used; every problem names the file, the line and the path. */
export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line === null ? p.file : `${p.file}:${p.line}`;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}
