import type { AuditFact } from './decision.js';
import type { Instant } from './promotion.js';

/** An approver's right to approve, handed to someone else until a time, in some environments. */
export interface Delegation {
  delegator: string;
  delegate: string;
  until: Instant;
  environments: string[];
  at: Instant;
}

export interface DelegationAsk {
  delegator: string;
  delegate: string;
  until: Instant;
  /** As written; empty: every environment the delegator may approve. */
  environments: string[];
  /** Every configured environment, and those whose approvals policy names the delegator. */
  known: readonly string[];
  mayApprove: readonly string[];
  /** Why the delegator's groups could not be checked, if they could not. */
  membershipUnknown?: string | null;
  now: Instant;
}

export type DelegationDecision = { kind: 'accept'; delegations: Delegation[]; audit: AuditFact; reply: string } | { kind: 'refuse'; reason: string };

const refuse = (reason: string): DelegationDecision => ({ kind: 'refuse', reason });

/** Those still in force; an expired delegation counts for nothing and is dropped at the next change. */
export function inForce(all: readonly Delegation[], now: Instant): Delegation[] {
  return all.filter((d) => now < d.until);
}

/** Delegations the delegate holds now for an environment. */
export function heldFor(all: readonly Delegation[], delegate: string, environment: string, now: Instant): Delegation[] {
  return inForce(all, now).filter((d) => d.delegate === delegate && d.environments.includes(environment));
}

/**
 * `/promote delegate @person until DATE [ENV…]`: only an approver delegates, only
 * environments they may approve, only to someone else and only until a time to come.
 * A new delegation to the same person replaces the old one.
 */
export function decideDelegate(ask: DelegationAsk, existing: readonly Delegation[]): DelegationDecision {
  if (ask.delegate === ask.delegator) return refuse('You cannot delegate to yourself. Name someone else: `/promote delegate @person until 2026-12-24 [ENV…]`.');
  if (ask.until <= ask.now) return refuse(`${new Date(ask.until).toISOString()} is in the past. Give a date to come: \`/promote delegate <@${ask.delegate}> until YYYY-MM-DD [ENV…]\`.`);
  const unknown = ask.environments.filter((e) => !ask.known.includes(e));
  if (unknown.length > 0) return refuse(`There is no environment called \`${unknown[0]}\`. Environments: ${ask.known.join(', ')}.`);
  if (ask.mayApprove.length === 0) return refuse(ask.membershipUnknown ?? 'You are not an approver of any environment, so you have no approval right to delegate.');
  const cannot = ask.environments.filter((e) => !ask.mayApprove.includes(e));
  if (cannot.length > 0) return refuse(ask.membershipUnknown ?? `You are not an approver of ${cannot.join(', ')}, so you cannot delegate it. You approve: ${ask.mayApprove.join(', ')}.`);
  const environments = ask.environments.length > 0 ? [...new Set(ask.environments)] : [...ask.mayApprove];
  const delegation: Delegation = { delegator: ask.delegator, delegate: ask.delegate, until: ask.until, environments, at: ask.now };
  const others = inForce(existing, ask.now).filter((d) => !(d.delegator === ask.delegator && d.delegate === ask.delegate));
  const until = new Date(ask.until).toISOString();
  return {
    kind: 'accept',
    delegations: [...others, delegation],
    audit: { type: 'delegated', actor: ask.delegator, detail: { delegate: ask.delegate, until, environments: environments.join(',') } },
    reply: `<@${ask.delegate}> may approve on your behalf in ${environments.join(', ')} until ${until}. It never counts for a promotion they asked for, and you and they count once together. Revoke it with \`/promote undelegate <@${ask.delegate}>\`.`,
  };
}

/** `/promote undelegate @person`: the delegator takes their right back at once. */
export function decideUndelegate(delegator: string, delegate: string, existing: readonly Delegation[], now: Instant): DelegationDecision {
  const live = inForce(existing, now);
  if (!live.some((d) => d.delegator === delegator && d.delegate === delegate)) return refuse(`You have no delegation to <@${delegate}> in force. See them with \`/promote delegations\`.`);
  return {
    kind: 'accept',
    delegations: live.filter((d) => !(d.delegator === delegator && d.delegate === delegate)),
    audit: { type: 'undelegated', actor: delegator, detail: { delegate } },
    reply: `<@${delegate}> no longer approves on your behalf.`,
  };
}
