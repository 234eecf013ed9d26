import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { z } from 'zod';
import type { EnvironmentSettings } from '../domain/settings.js';

/**
 * The kinds of setting an environment may carry, by platform: Mendix constants,
 * OutSystems site properties, Power Platform environment variables and connection
 * references (the logical name of the reference → the connection id in that environment).
 */
export const SETTING_KINDS = ['constants', 'site_properties', 'environment_variables', 'connection_references'] as const;
export type SettingKind = (typeof SETTING_KINDS)[number];

/** Settings as the executors receive them: kind → name → value. */
export type SettingValues = Partial<Record<SettingKind, Record<string, string>>>;

// YAML reads 8080 and true as a number and a boolean; a platform stores them as text.
const value = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const values = z.record(z.string().min(1), value);

/**
 * `apps.APP.environments.ENV.settings`: values that belong to that environment alone
 * and never travel with a promotion. Values may be `${NAME}`, read from the process
 * environment like any other secret in shipgate.yml.
 */
export const appSettingsSchema = z
  .object({
    constants: values.optional(),
    site_properties: values.optional(),
    environment_variables: values.optional(),
    connection_references: values.optional(),
    /** Names that must be set for this environment (the `settings` gate checks them). */
    required: z.array(z.string().min(1)).default([]),
    /** Names whose value here must not equal the value in the environment promoted from. */
    must_differ: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .superRefine((settings, ctx) => {
    const seen = new Map<string, SettingKind>();
    for (const kind of SETTING_KINDS) {
      for (const name of Object.keys(settings[kind] ?? {})) {
        const other = seen.get(name);
        if (other) ctx.addIssue({ code: 'custom', path: [kind, name], message: `"${name}" is also set under ${other}; give each setting one kind` });
        seen.set(name, kind);
      }
    }
  });

export type AppSettingsConfig = z.output<typeof appSettingsSchema>;

/** The values alone, kind by kind, without the empty kinds; undefined when there are none. */
export function settingValues(settings: AppSettingsConfig | undefined): SettingValues | undefined {
  if (!settings) return undefined;
  const out: SettingValues = {};
  for (const kind of SETTING_KINDS) if (settings[kind] && Object.keys(settings[kind]).length > 0) out[kind] = { ...settings[kind] };
  return Object.keys(out).length > 0 ? out : undefined;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * What the domain may know of an environment's settings: a SHA-256 over the canonical
 * settings (values included, for the audit log), and per name a fingerprint of its value,
 * enough to tell whether two environments hold the same value without holding either.
 */
export function environmentSettings(settings: AppSettingsConfig | undefined): EnvironmentSettings | null {
  if (!settings) return null;
  const shown = settingValues(settings) ?? {};
  const fingerprints: Record<string, string> = {};
  for (const kind of SETTING_KINDS) for (const [name, v] of Object.entries(shown[kind] ?? {})) fingerprints[name] = sha256(`${kind}\u0000${v}`);
  return {
    hash: sha256(canonicalize({ ...shown, required: [...settings.required].sort(), must_differ: [...settings.must_differ].sort() }) ?? ''),
    fingerprints,
    required: settings.required,
    mustDiffer: settings.must_differ,
  };
}
