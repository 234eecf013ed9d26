import { z } from 'zod';
import { duration } from './duration.js';
import { gateSchema } from './gate-schema.js';
import { alertsSchema } from './alerts-schema.js';
import { githubActionsExecutorSchema } from '../executors/github-actions-executor.js';
import { argoCdExecutorSchema } from '../executors/argocd-executor.js';
import { kubernetesExecutorSchema } from '../executors/kubernetes-executor.js';
import { mendixExecutorSchema } from '../executors/mendix-executor.js';
import { outSystemsExecutorSchema } from '../executors/outsystems-executor.js';
import { webhookExecutorSchema } from '../executors/webhook-executor.js';
import { powerPlatformExecutorSchema } from '../executors/power-platform-executor.js';
import { appSettingsSchema } from './app-settings.js';
import { protectionRuleExecutorSchema } from '../executors/protection-rule-executor.js';
import { githubSchema } from '../github/github-config.js';
import { datasetReferences, datasetSchema } from './dataset-schema.js';

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'expected a lower-case name (letters, digits, - and _)');
const approver = z.string().regex(/^[UWS][A-Z0-9]{2,}$/, 'expected a Slack user id (U…, W…) or user group id (S…)');
const channel = z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'expected a Slack channel id (C…)');

/** One group's share of an `all_of` policy; `name` is what the promotion message calls it. */
const quorum = z.object({ group: approver, required: z.number().int().min(1), name: z.string().min(1).max(40).optional() }).strict();

/**
 * Either form, never both: `required` of `approvers` (N of M), or `all_of`, a quorum per
 * group met by distinct people. Both come out with `required` and `approvers` filled in
 * (for all_of: the sum, and the groups), so every reader sees the same shape.
 */
const approvals = z
  .object({
    required: z.number().int().min(0).optional(),
    approvers: z.array(approver).optional(),
    all_of: z.array(quorum).min(1).optional(),
    self_approval: z.boolean().default(false),
    expire_after: duration.optional(),
    remind_after: duration.optional(),
    escalate_after: duration.optional(),
    escalate_to: approver.optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.all_of && (a.required !== undefined || a.approvers !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['all_of'], message: 'use either required with approvers (any N of these people) or all_of (a quorum per group), not both' });
    }
    if (!a.all_of && a.required === undefined) {
      ctx.addIssue({ code: 'custom', path: ['required'], message: 'say how many approvals are needed: required (with approvers), or all_of with a quorum per group' });
    }
    const groups = (a.all_of ?? []).map((q) => q.group);
    for (const [index, group] of groups.entries()) {
      if (groups.indexOf(group) !== index) ctx.addIssue({ code: 'custom', path: ['all_of', index, 'group'], message: `${group} is listed twice; give it one quorum` });
    }
    if ((a.escalate_after === undefined) !== (a.escalate_to === undefined)) {
      ctx.addIssue({ code: 'custom', path: [a.escalate_to === undefined ? 'escalate_to' : 'escalate_after'], message: 'escalation needs both escalate_after (how long to wait) and escalate_to (a user group S… or a person U…)' });
    }
  })
  .transform(({ all_of, required, approvers, ...rest }) => ({
    ...rest,
    all_of: all_of ?? null,
    required: all_of ? all_of.reduce((sum, q) => sum + q.required, 0) : (required ?? 0),
    approvers: all_of ? all_of.map((q) => q.group) : (approvers ?? []),
  }));

/** How often what runs is compared with what Shipgate recorded (for executors that can tell). */
const drift = z.object({ interval: duration }).strict();

const environment = z
  .object({
    from: name.optional(),
    channel: channel.optional(),
    executor: name.optional(),
    calendar: name.optional(),
    gates: z.array(name).default([]),
    approvals: approvals.optional(),
    rollback: z
      .object({
        approvals: approvals.optional(),
        respect_calendar: z.boolean().default(false),
        auto_on_alert: z.object({ severity: z.string().min(1), within: duration }).strict().optional(),
      })
      .strict()
      .optional(),
    emergency: z.object({ approvals }).strict().optional(),
    drift: drift.optional(),
    /** Rollback drills: `allow` them here (default: everywhere but the end of a path), and schedule one `every` period (looked at every `check_every`, 15m). */
    rehearsal: z.object({ allow: z.boolean().optional(), every: duration.optional(), check_every: duration.optional() }).strict().optional(),
  })
  .strict();

const app = z
  .object({
    executor: name,
    environments: z.record(name, z.object({ executor: name.optional(), settings: appSettingsSchema.optional() }).strict()).optional(),
  })
  .strict();

// One schema per executor type, each kept in its executor's file.
const executor = z.discriminatedUnion('type', [webhookExecutorSchema, githubActionsExecutorSchema, argoCdExecutorSchema, kubernetesExecutorSchema, mendixExecutorSchema, outSystemsExecutorSchema, powerPlatformExecutorSchema, protectionRuleExecutorSchema]);

const DAY = 86_400_000;

const baseSchema = z
  .object({
    slack: z
      .object({
        channel: channel.optional(),
        usergroup_cache: duration.default(60_000),
      })
      .strict()
      .default({ usergroup_cache: 60_000 }),
    apps: z.record(name, app).refine((a) => Object.keys(a).length > 0, 'declare at least one app'),
    environments: z.record(name, environment).refine((e) => Object.keys(e).length > 0, 'declare at least one environment'),
    executors: z.record(name, executor).default({}),
    gates: z.record(name, gateSchema).default({}),
    alerts: alertsSchema,
    /** Datasets that may be refreshed between environments, masked on the way (`/promote refresh`). */
    datasets: z.record(name, datasetSchema).default({}),
    drift: z.object({ interval: duration.default(5 * 60_000) }).strict().default({ interval: 5 * 60_000 }),
    /** Shipgate as a GitHub App: the custom deployment protection rule (src/github/). */
    github: githubSchema.optional(),
    queue: z
      .object({
        prefix: z.string().regex(/^[^:\s]+$/, 'expected a prefix without ":" or spaces').default('{shipgate}'),
        lock_duration: duration.default(30_000),
        stalled_interval: duration.default(30_000),
        /** How often every pending promotion's job is checked and re-queued if missing. */
        sweep_every: duration.default(30_000),
        /** How long a stopping worker waits for running jobs before it cuts them off (they resume elsewhere). */
        shutdown_grace: duration.default(10_000),
      })
      .strict()
      .default({ prefix: '{shipgate}', lock_duration: 30_000, stalled_interval: 30_000, sweep_every: 30_000, shutdown_grace: 10_000 }),
    metrics: z
      .object({
        /** Deployments, failures and restores count when they ended within this long (the delivery metrics' window). */
        window: duration.default(DAY * 30),
        /** A deployment rolled back or blamed by an alert within this long counts as a change failure. */
        failure_window: duration.default(DAY),
      })
      .strict()
      .default({ window: DAY * 30, failure_window: DAY }),
    /** What leaves Redis, when, and where it goes (see src/store/retention.ts). */
    retention: z
      .object({
        /** Finished promotions and audit entries older than this move from Redis to the archive. */
        after: duration.default(DAY * 90),
        /** The archive folder: JSON Lines files, appended to only. */
        archive: z.string().min(1).default('./shipgate-archive'),
        /** How often a worker looks for what is due. */
        every: duration.default(3_600_000),
      })
      .strict()
      .default({ after: DAY * 90, archive: './shipgate-archive', every: 3_600_000 }),
    slo: z
      .object({
        /** A blocked or failed promotion should be followed by a deployment of its app and environment within this long. */
        resolve_failed_within: duration.default(DAY),
      })
      .strict()
      .default({ resolve_failed_within: DAY }),
  })
  .strict();

export const configSchema = baseSchema
  // Cross-references are checked even when other parts of the file are invalid, so one run of
  // check-config reports every problem; a part too broken to read leaves its checks to its own issue.
  .superRefine(
    (config, ctx) => {
      try {
        crossReferences(config, ctx);
        githubReferences(config, ctx);
        datasetReferences(config, ctx);
      } catch {
        // Only a malformed value (already reported by its own issue) can make the checks throw.
      }
    },
    { when: () => true },
  );

function crossReferences(config: z.output<typeof baseSchema>, ctx: z.core.$RefinementCtx) {
  const envs = config.environments;
  for (const [envName, env] of Object.entries(envs)) {
    const at = ['environments', envName];
    if (env.from !== undefined) {
      if (!(env.from in envs)) ctx.addIssue({ code: 'custom', path: [...at, 'from'], message: `no environment called "${env.from}"` });
      else if (pathLoops(envs, envName)) ctx.addIssue({ code: 'custom', path: [...at, 'from'], message: 'the promotion path loops back on itself' });
    }
    if (!env.channel && !config.slack.channel) {
      ctx.addIssue({ code: 'custom', path: [...at, 'channel'], message: 'no channel: set slack.channel or a channel for this environment' });
    }
    for (const [index, gate] of env.gates.entries()) {
      if (!(gate in config.gates)) ctx.addIssue({ code: 'custom', path: [...at, 'gates', index], message: `no gate called "${gate}"` });
    }
    if (env.executor && !(env.executor in config.executors)) {
      ctx.addIssue({ code: 'custom', path: [...at, 'executor'], message: `no executor called "${env.executor}"` });
    }
    for (const [policyPath, policy] of [[['approvals'], env.approvals], [['emergency', 'approvals'], env.emergency?.approvals]] as const) {
      if (policy && policy.required > 0 && policy.approvers.length === 0) {
        ctx.addIssue({ code: 'custom', path: [...at, ...policyPath, 'approvers'], message: `${policy.required} approval(s) required but nobody may give them: list user ids (U…) or group ids (S…)` });
      }
    }
    if (env.emergency && env.emergency.approvals.required < 1) {
      ctx.addIssue({ code: 'custom', path: [...at, 'emergency', 'approvals', 'required'], message: '--emergency bypasses the calendar, never approvals: require at least 1 approval' });
    }
    if (env.rehearsal?.every !== undefined && env.rehearsal.allow === false) {
      ctx.addIssue({ code: 'custom', path: [...at, 'rehearsal', 'every'], message: 'drills are scheduled here but `allow: false` forbids them: remove one of the two' });
    }
    if (env.rollback && (env.rollback.approvals?.approvers.length ?? 0) === 0 && (env.approvals?.approvers.length ?? 0) === 0) {
      ctx.addIssue({
        code: 'custom',
        path: [...at, 'rollback', 'approvals', 'approvers'],
        message: 'a rollback policy needs people who may roll back: list user ids (U…) or group ids (S…) here or in this environment\'s approvals (nobody listed would mean anyone)',
      });
    }
  }
  for (const [gateName, gate] of Object.entries(config.gates)) {
    if (gate.type === 'soak' && !(gate.in in envs)) ctx.addIssue({ code: 'custom', path: ['gates', gateName, 'in'], message: `no environment called "${gate.in}"` });
    if (gate.type === 'rollback-rehearsed' && gate.environment !== undefined && !(gate.environment in envs)) {
      ctx.addIssue({ code: 'custom', path: ['gates', gateName, 'environment'], message: `no environment called "${gate.environment}"` });
    }
  }
  for (const [appName, app] of Object.entries(config.apps)) {
    if (!(app.executor in config.executors)) {
      ctx.addIssue({ code: 'custom', path: ['apps', appName, 'executor'], message: `no executor called "${app.executor}"` });
    }
    for (const [envName, override] of Object.entries(app.environments ?? {})) {
      if (!(envName in envs)) ctx.addIssue({ code: 'custom', path: ['apps', appName, 'environments', envName], message: `no environment called "${envName}"` });
      if (override.executor && !(override.executor in config.executors)) {
        ctx.addIssue({ code: 'custom', path: ['apps', appName, 'environments', envName, 'executor'], message: `no executor called "${override.executor}"` });
      }
    }
  }
}

function githubReferences(config: z.output<typeof baseSchema>, ctx: z.core.$RefinementCtx) {
  for (const [index, rule] of (config.github?.protection_rules ?? []).entries()) {
    const at = ['github', 'protection_rules', index];
    if (!(rule.app in config.apps)) ctx.addIssue({ code: 'custom', path: [...at, 'app'], message: `no app called "${rule.app}"` });
    for (const [githubEnv, env] of Object.entries(rule.environments)) {
      if (!(env in config.environments)) ctx.addIssue({ code: 'custom', path: [...at, 'environments', githubEnv], message: `no environment called "${env}"` });
    }
  }
}

function pathLoops(envs: Record<string, { from?: string | undefined }>, start: string): boolean {
  const seen = new Set<string>();
  for (let at: string | undefined = start; at !== undefined; at = envs[at]?.from) {
    if (seen.has(at)) return true;
    seen.add(at);
  }
  return false;
}

export type ShipgateConfig = z.output<typeof configSchema>;
export type ExecutorConfig = ShipgateConfig['executors'][string];
