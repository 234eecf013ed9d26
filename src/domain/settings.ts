/**
 * One app's settings in one environment, as the domain sees them: never the values,
 * only a hash of them all and a fingerprint per name (equal values, equal fingerprints).
 */
export interface EnvironmentSettings {
  /** SHA-256 over the canonical settings, values included. */
  hash: string;
  /** Setting name → fingerprint of its value. */
  fingerprints: Readonly<Record<string, string>>;
  /** Names that must be set here. */
  required: readonly string[];
  /** Names whose value here must differ from the value in the environment promoted from. */
  mustDiffer: readonly string[];
}

/** What a promotion records of the settings of its target: their hash, and which names differ from `from`. */
export interface PromotionSettings {
  hash: string | null;
  /** Names set differently (or set on one side only) in `from` and the target; sorted. */
  differs: string[];
}

/** The names whose values differ between FROM and TARGET, or that only one of them sets. */
export function settingsThatDiffer(from: EnvironmentSettings | null, target: EnvironmentSettings | null): string[] {
  const a = from?.fingerprints ?? {};
  const b = target?.fingerprints ?? {};
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names].filter((name) => a[name] !== b[name]).sort();
}

export function promotionSettings(from: EnvironmentSettings | null, target: EnvironmentSettings | null, hasFrom: boolean): PromotionSettings | null {
  if (!target && !from) return null;
  return { hash: target?.hash ?? null, differs: hasFrom ? settingsThatDiffer(from, target) : [] };
}

export interface SettingsVerdict {
  ok: boolean;
  /** Required names the target does not set. */
  missing: string[];
  /** `must_differ` names whose value in the target equals the one in `from`. */
  same: string[];
}

/**
 * The settings rule for a promotion to TARGET from FROM: every required name (the gate's
 * and the target's own `required`) is set, and no `must_differ` name holds the same value
 * as in `from`. Without a `from`, there is nothing to compare.
 */
export function judgeSettings(required: readonly string[], target: EnvironmentSettings | null, from: EnvironmentSettings | null): SettingsVerdict {
  const set = target?.fingerprints ?? {};
  const missing = [...new Set([...required, ...(target?.required ?? [])])].filter((name) => !(name in set)).sort();
  const mustDiffer = new Set([...(target?.mustDiffer ?? []), ...(from?.mustDiffer ?? [])]);
  const same = from ? [...mustDiffer].filter((name) => name in set && set[name] === from.fingerprints[name]).sort() : [];
  return { ok: missing.length === 0 && same.length === 0, missing, same };
}
