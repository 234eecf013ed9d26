import type { ApprovalPolicy, EnvironmentPolicy, Policy } from '../domain/policy.js';
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { GateConfig } from './gate-schema.js';
import { environmentSettings, settingValues, type SettingValues } from './app-settings.js';
import type { EnvironmentSettings } from '../domain/settings.js';
import type { RehearsalPolicy } from '../domain/drill.js';
import type { SettingsFacts } from '../gates/settings-gate.js';
import type { ExecutorConfig, ShipgateConfig } from './schema.js';

/** SHA-256 of a gate's configuration with header values left out, so no secret shapes the hash. */
export function gateConfigHash(gate: GateConfig): string {
  const shown = { ...gate, headers: Object.keys(gate.headers).sort() };
  return createHash('sha256').update(canonicalize(shown) ?? '').digest('hex');
}

type ApprovalsConfig = NonNullable<ShipgateConfig['environments'][string]['approvals']>;

function approvalPolicy(a: ApprovalsConfig | undefined): ApprovalPolicy {
  return {
    required: a?.required ?? 0,
    approvers: a?.approvers ?? [],
    selfApproval: a?.self_approval ?? false,
    expireAfterMs: a?.expire_after ?? null,
    // Set only when written, so a policy without them reads as before.
    ...(a?.all_of ? { quorums: a.all_of.map((q) => ({ group: q.group, required: q.required, name: q.name ?? null })) } : {}),
    ...(a?.remind_after ? { remindAfterMs: a.remind_after } : {}),
    ...(a?.escalate_after && a.escalate_to ? { escalateAfterMs: a.escalate_after, escalateTo: a.escalate_to } : {}),
  };
}

/**
 * The domain's view of the configuration; calendars are attached when used, since
 * they are read again when their files change. Without a `rollback` policy, a rollback
 * needs no second person but only the environment's approvers may start it.
 */
export function toPolicy(config: ShipgateConfig, configHash: string): Policy {
  const environments = new Map<string, EnvironmentPolicy>();
  for (const [name, env] of Object.entries(config.environments)) {
    const approvals = approvalPolicy(env.approvals);
    const rollbackConfig = env.rollback?.approvals;
    const rollback: ApprovalPolicy = rollbackConfig
      ? { ...approvalPolicy(rollbackConfig), approvers: rollbackConfig.approvers.length ? rollbackConfig.approvers : approvals.approvers }
      : { required: 0, approvers: approvals.approvers, selfApproval: true, expireAfterMs: null };
    environments.set(name, {
      name,
      from: env.from ?? null,
      channel: (env.channel ?? config.slack.channel)!,
      approvals,
      rollback,
      emergency: env.emergency ? approvalPolicy(env.emergency.approvals) : null,
      calendar: null,
      rollbackRespectsCalendar: env.rollback?.respect_calendar ?? false,
      autoRollback: env.rollback?.auto_on_alert ? { severity: env.rollback.auto_on_alert.severity, withinMs: env.rollback.auto_on_alert.within } : null,
      gates: env.gates.map((gate) => ({ name: gate, configHash: gateConfigHash(config.gates[gate]!) })),
      rehearsal: rehearsalPolicy(config, name),
    });
  }
  const apps = new Map(
    Object.entries(config.apps).map(([name, app]) => {
      const settings = new Map<string, EnvironmentSettings>();
      for (const [env, override] of Object.entries(app.environments ?? {})) {
        const shown = environmentSettings(override.settings);
        if (shown) settings.set(env, shown);
      }
      return [name, { name, settings }];
    }),
  );
  return { apps, environments, configHash };
}

/**
 * Drills are allowed where a later environment takes versions from this one; at the end
 * of a path (production) only with `rehearsal.allow` or a schedule (`every`).
 */
function rehearsalPolicy(config: ShipgateConfig, name: string): RehearsalPolicy {
  const own = config.environments[name]?.rehearsal;
  const feedsAnother = Object.values(config.environments).some((e) => e.from === name);
  return { allowed: own?.allow ?? (feedsAnother || own?.every !== undefined), everyMs: own?.every ?? null };
}

/** The executor that deploys APP to ENV: the app's per-environment override, the environment's, then the app's. */
export function executorFor(config: ShipgateConfig, app: string, environment: string): { name: string; executor: ExecutorConfig } {
  const appConfig = config.apps[app];
  const name = appConfig?.environments?.[environment]?.executor ?? config.environments[environment]?.executor ?? appConfig?.executor;
  const executor = name ? config.executors[name] : undefined;
  if (!name || !executor) throw new Error(`No executor for ${app} in ${environment}.`);
  return { name, executor };
}

/** The settings shipgate.yml gives APP in ENVIRONMENT, values included: for the executor, at deploy time only. */
export function settingsFor(config: ShipgateConfig, app: string, environment: string): SettingValues | undefined {
  return settingValues(config.apps[app]?.environments?.[environment]?.settings);
}

/** What the `settings` gate reads, from the configuration: hashes and fingerprints, never values. */
export function settingsFactsFor(config: ShipgateConfig): SettingsFacts {
  return {
    settings: (app, environment) => environmentSettings(config.apps[app]?.environments?.[environment]?.settings),
    from: (environment) => config.environments[environment]?.from ?? null,
  };
}
