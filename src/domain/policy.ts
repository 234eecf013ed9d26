import type { Calendar } from './calendar/calendar.js';
import type { AutoRollbackPolicy } from './alerts.js';
import type { EnvironmentSettings } from './settings.js';
import type { Lock } from './lock.js';
import type { AdHocFreeze } from './ad-hoc-freeze.js';
import type { Quorum } from './quorum.js';
import type { RehearsalPolicy } from './drill.js';

/** Who may approve, and how many of them must. Approvers are Slack user ids (U…/W…) or user group ids (S…). */
export interface ApprovalPolicy {
  required: number;
  approvers: readonly string[];
  selfApproval: boolean;
  /** Approvals older than this no longer count; null keeps them for ever. */
  expireAfterMs: number | null;
  /**
   * `all_of`: one quorum per group, each met by distinct people (then `approvers` lists
   * their groups and `required` their sum); absent or empty: any `required` of `approvers`.
   */
  quorums?: readonly Quorum[];
  /** Who may still approve is pinged in the thread after a promotion waited this long; absent: never. */
  remindAfterMs?: number | null;
  /** After this long waiting, `escalateTo` (a user group or a person) is pinged in the thread; absent: never. */
  escalateAfterMs?: number | null;
  escalateTo?: string | null;
}

export interface EnvironmentPolicy {
  name: string;
  /** The environment whose current version is the only one that may be promoted here. */
  from: string | null;
  channel: string;
  approvals: ApprovalPolicy;
  rollback: ApprovalPolicy;
  /** Who may approve a promotion that bypasses the calendar; null: no emergencies here. */
  emergency: ApprovalPolicy | null;
  /** Release calendar; null: always open. */
  calendar: Calendar | null;
  /** Rollbacks ignore the calendar unless this is set. */
  rollbackRespectsCalendar: boolean;
  /** Roll back without a click on severe alerts soon after a deployment; null: never. */
  autoRollback: AutoRollbackPolicy | null;
  /** Gates every promotion here must pass, with the hash of each gate's configuration. */
  gates: readonly { name: string; configHash: string }[];
  /** The environment's locks as stored now (live state, like the calendar's files); absent: none. */
  locks?: readonly Lock[];
  /** The environment's ad-hoc freezes as stored now (`/promote freeze`); absent: none. */
  freezes?: readonly AdHocFreeze[];
  /** Members of each group named by a freeze's `allow` list, looked up before the decision; absent: none known. */
  breakGlass?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Rollback drills: allowed here, and how often scheduled; absent: none. */
  rehearsal?: RehearsalPolicy;
}

export interface AppPolicy {
  name: string;
  /** Settings per environment (hashes and fingerprints, never values); absent: none. */
  settings?: ReadonlyMap<string, EnvironmentSettings>;
}

/** Everything the domain needs to know about the configuration, already parsed and checked. */
export interface Policy {
  apps: ReadonlyMap<string, AppPolicy>;
  environments: ReadonlyMap<string, EnvironmentPolicy>;
  configHash: string;
}

export function isGroupId(approver: string): boolean {
  return approver.startsWith('S');
}

/** True when the user is listed by id, or belongs to a listed group (memberOf: groups known to contain the user). */
export function isAuthorized(policy: ApprovalPolicy, user: string, memberOf: readonly string[]): boolean {
  if (policy.approvers.length === 0) return true;
  return policy.approvers.includes(user) || memberOf.some((group) => policy.approvers.includes(group));
}

export function describeApprovers(policy: ApprovalPolicy): string {
  if (policy.approvers.length === 0) return 'anyone';
  return policy.approvers.map(mention).join(', ');
}

/** A user group or a person, as Slack mrkdwn mentions them. */
export function mention(approver: string): string {
  return isGroupId(approver) ? `<!subteam^${approver}>` : `<@${approver}>`;
}

/** The refusal for a name the configuration does not know, or null when it knows it. */
export function unknownApp(policy: Policy, app: string): string | null {
  return policy.apps.has(app) ? null : `There is no app called \`${app}\`. Known apps: ${[...policy.apps.keys()].join(', ')}.`;
}

export function unknownEnvironment(policy: Policy, environment: string): string | null {
  return policy.environments.has(environment) ? null : `There is no environment called \`${environment}\`. Environments: ${[...policy.environments.keys()].join(', ')}.`;
}
