import { judgeSettings, type EnvironmentSettings } from '../domain/settings.js';
import { failed, passed, type Gate, type GateContext, type GateVerdict } from './gate.js';

/** What the settings gate reads: an app's settings in an environment, and where that environment takes versions from. */
export interface SettingsFacts {
  settings(app: string, environment: string): EnvironmentSettings | null;
  from(environment: string): string | null;
}

export interface SettingsGateConfig {
  /** Names every target environment must set, besides the `required` of its own settings block. */
  required: readonly string[];
}

const names = (list: string[]) => list.map((n) => `\`${n}\``).join(', ');

/** The verdict in words a release manager reads; names only, never a value. */
export function settingsVerdict(config: SettingsGateConfig, ctx: Pick<GateContext, 'app' | 'environment'>, facts: SettingsFacts): GateVerdict {
  const target = facts.settings(ctx.app, ctx.environment);
  const fromName = facts.from(ctx.environment);
  const from = fromName ? facts.settings(ctx.app, fromName) : null;
  const verdict = judgeSettings(config.required, target, from);
  const problems: string[] = [];
  if (verdict.missing.length > 0) problems.push(`${ctx.environment} does not set ${names(verdict.missing)}`);
  if (verdict.same.length > 0) problems.push(`${names(verdict.same)} ${verdict.same.length === 1 ? 'has' : 'have'} the same value in ${ctx.environment} as in ${fromName} (must differ)`);
  if (problems.length > 0) return failed(`${problems.join('; ')}. Fix apps.${ctx.app}.environments.${ctx.environment}.settings in shipgate.yml.`, null);
  const count = Object.keys(target?.fingerprints ?? {}).length;
  return passed(`${count} setting${count === 1 ? '' : 's'} for ${ctx.environment}; required present${fromName && from ? `, must-differ values differ from ${fromName}` : ''}`, null);
}

/** Settings that belong to the target environment are there, and those that must differ from `from` do. */
export class SettingsGate implements Gate {
  constructor(
    private readonly config: SettingsGateConfig,
    private readonly facts: SettingsFacts,
  ) {}

  async run(ctx: GateContext) {
    return settingsVerdict(this.config, ctx, this.facts);
  }
}
