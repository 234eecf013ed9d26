import type { AuditFact } from './decision.js';
import type { Freeze } from './calendar/freeze.js';
import type { LockAsk } from './lock.js';
import { describeApprovers, isAuthorized, isGroupId, unknownEnvironment, type Policy } from './policy.js';
import type { Instant, Promotion } from './promotion.js';
import { escapeMrkdwn } from './slack-text.js';

const HOUR = 3_600_000;
/** An ad-hoc freeze covers an incident or a launch; anything longer belongs in the calendar file. */
export const MAX_AD_HOC_FREEZE_MS = 14 * 24 * HOUR;

/** `/promote freeze ENV for 2h reason…`: the environment's calendar closes now, until `until` or an unfreeze. */
export interface AdHocFreeze {
  environment: string;
  owner: string;
  reason: string;
  from: Instant;
  until: Instant;
  /** Break-glass: user ids and user group ids whose promotions it does not hold. */
  allow: string[];
}

/** The ad-hoc freezes not yet over at `now`. */
export function inForce(freezes: readonly AdHocFreeze[], now: Instant): AdHocFreeze[] {
  return freezes.filter((f) => f.until > now);
}

/** The ad-hoc freeze as one more freeze of the calendar, at fixed instants. */
export function asCalendarFreeze(f: AdHocFreeze): Freeze {
  return { basis: 'instant', start: f.from, end: f.until, rule: `ad-hoc:${f.owner}:${f.from}`, name: `ad-hoc freeze by ${f.owner}: ${f.reason}`, allow: f.allow };
}

export function describeAllow(allow: readonly string[]): string {
  return allow.map((a) => (isGroupId(a) ? `<!subteam^${a}>` : `<@${a}>`)).join(', ');
}

export type FreezeDecision =
  | { kind: 'accept'; freezes: AdHocFreeze[]; audit: AuditFact; reply: string; lifted: AdHocFreeze | null }
  | { kind: 'refuse'; reason: string; audit?: AuditFact };

export type FreezeAsk = Omit<LockAsk, 'app'>;

function authorize(ask: FreezeAsk, policy: Policy, verb: 'freeze' | 'unfreeze'): FreezeDecision | null {
  const unknown = unknownEnvironment(policy, ask.environment);
  if (unknown) return { kind: 'refuse', reason: unknown };
  const approvals = policy.environments.get(ask.environment)!.approvals;
  if (isAuthorized(approvals, ask.user, ask.memberOf)) return null;
  const reason = ask.membershipUnknown ?? `Only an approver of ${ask.environment} can ${verb} it. Approvers: ${describeApprovers(approvals)}.`;
  return { kind: 'refuse', reason, audit: { type: `${verb}_refused`, actor: ask.user, detail: { reason } } };
}

function hours(msValue: number): string {
  return msValue % HOUR === 0 ? `${msValue / HOUR}h` : `${Math.round(msValue / 60_000)}m`;
}

/**
 * `/promote freeze ENV for DURATION [--allow ID,…] reason…`: one ad-hoc freeze per
 * environment at a time; freezing a frozen environment again is refused, not extended.
 */
export function decideFreeze(ask: FreezeAsk & { durationMs: number | null; reason: string; allow: readonly string[] }, policy: Policy, stored: readonly AdHocFreeze[]): FreezeDecision {
  const refused = authorize(ask, policy, 'freeze');
  if (refused) return refused;
  const example = `\`/promote freeze ${ask.environment} for 2h reason…\``;
  if (ask.durationMs === null || ask.durationMs <= 0) return { kind: 'refuse', reason: `Say how long ${ask.environment} stays frozen, such as 30m, 2h or 1d: ${example}` };
  if (ask.durationMs > MAX_AD_HOC_FREEZE_MS) {
    return { kind: 'refuse', reason: `An ad-hoc freeze lasts at most ${MAX_AD_HOC_FREEZE_MS / (24 * HOUR)} days. Put a longer one in the calendar file of ${ask.environment}, or freeze again when this one ends.` };
  }
  if (!ask.reason.trim()) return { kind: 'refuse', reason: `Say why ${ask.environment} is frozen: ${example}` };
  const current = inForce(stored, ask.now)[0];
  if (current) {
    return { kind: 'refuse', reason: `${ask.environment} is already frozen by <@${current.owner}> until <!date^${Math.floor(current.until / 1000)}^{date_short_pretty} {time}|${new Date(current.until).toISOString()}>: ${escapeMrkdwn(current.reason)}. Lift it first with \`/promote unfreeze ${ask.environment}\`.` };
  }
  const freeze: AdHocFreeze = { environment: ask.environment, owner: ask.user, reason: ask.reason.trim(), from: ask.now, until: ask.now + ask.durationMs, allow: [...new Set(ask.allow)] };
  const through = freeze.allow.length > 0 ? ` ${describeAllow(freeze.allow)} may still deploy (break-glass).` : '';
  return {
    kind: 'accept',
    freezes: [freeze],
    audit: { type: 'frozen', actor: ask.user, detail: { reason: freeze.reason, until: new Date(freeze.until).toISOString(), allow: freeze.allow.join(',') || null } },
    reply: `Froze ${ask.environment} for ${hours(ask.durationMs)}: approved promotions wait until the freeze ends or \`/promote unfreeze ${ask.environment}\`; rollbacks still run.${through}`,
    lifted: null,
  };
}

/** `/promote unfreeze ENV`: any approver of the environment lifts the ad-hoc freeze early; what it held is checked again. */
export function decideUnfreeze(ask: FreezeAsk, policy: Policy, stored: readonly AdHocFreeze[]): FreezeDecision {
  const refused = authorize(ask, policy, 'unfreeze');
  if (refused) return refused;
  const current = inForce(stored, ask.now)[0];
  if (!current) return { kind: 'refuse', reason: `${ask.environment} has no ad-hoc freeze to lift. Freezes in its calendar file end as written there.` };
  return {
    kind: 'accept',
    freezes: [],
    audit: { type: 'unfrozen', actor: ask.user, detail: { owner: current.owner, reason: current.reason, until: new Date(current.until).toISOString() } },
    reply: `Unfroze ${ask.environment}; promotions that waited for the freeze are checked again now.`,
    lifted: current,
  };
}

/** Promotions a lifted freeze may have held: scheduled ones of its environment, oldest first. */
export function heldByFreeze(lifted: AdHocFreeze, active: readonly Promotion[]): Promotion[] {
  return active.filter((p) => p.environment === lifted.environment && p.state === 'scheduled').sort((a, b) => a.requestedAt - b.requestedAt);
}
