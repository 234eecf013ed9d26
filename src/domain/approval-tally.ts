import type { ApprovalPolicy } from './policy.js';
import type { Approval, Instant, Promotion } from './promotion.js';
import { assignToQuorums, type Quorum } from './quorum.js';
import { escapeMrkdwn } from './slack-text.js';

/** The person an approval counts for: the approver, or whom they approved on behalf of. */
export function countsFor(a: Approval): string {
  return a.onBehalfOf ?? a.user;
}

/** An approval counts until it expires (expire_after) and, when given through a delegation, while that delegation lasts. */
export function isApprovalCurrent(approval: Approval, policy: ApprovalPolicy, now: Instant): boolean {
  if (approval.delegatedUntil !== undefined && now >= approval.delegatedUntil) return false;
  if (approval.window) return approval.window.closes === null || now < approval.window.closes;
  return policy.expireAfterMs === null || now - approval.at < policy.expireAfterMs;
}

export function currentApprovals(p: Pick<Promotion, 'approvals'>, policy: ApprovalPolicy, now: Instant): Approval[] {
  return p.approvals.filter((a) => isApprovalCurrent(a, policy, now));
}

/** The earliest instant at which a counted approval stops counting, if any does. */
export function nextApprovalExpiry(p: Pick<Promotion, 'approvals'>, policy: ApprovalPolicy, now: Instant): Instant | null {
  const expiries = currentApprovals(p, policy, now).flatMap((a) => [
    ...(a.window ? (a.window.closes === null ? [] : [a.window.closes]) : policy.expireAfterMs === null ? [] : [a.at + policy.expireAfterMs]),
    ...(a.delegatedUntil === undefined ? [] : [a.delegatedUntil]),
  ]);
  return expiries.length ? Math.min(...expiries) : null;
}

export interface Tally {
  /** Current approvals, one per person counted. */
  counted: Approval[];
  /** Approvals that count towards `required` (for all_of: those placed in a quorum). */
  have: number;
  required: number;
  satisfied: boolean;
  /** all_of: who fills each quorum; null for the N-of-M form. */
  quorums: { quorum: Quorum; by: string[] }[] | null;
}

/** Where the approvals stand under the policy: one person counts once, and for all_of once across the groups (see quorum.ts). */
export function tally(p: Pick<Promotion, 'approvals'>, policy: ApprovalPolicy, now: Instant): Tally {
  const byPerson = new Map<string, Approval>();
  for (const a of currentApprovals(p, policy, now)) byPerson.set(countsFor(a), a);
  const counted = [...byPerson.values()];
  if (!policy.quorums?.length) {
    return { counted, have: Math.min(counted.length, policy.required), required: policy.required, satisfied: counted.length >= policy.required, quorums: null };
  }
  const filled = assignToQuorums(policy.quorums, counted.map((a) => ({ person: countsFor(a), groups: a.as ?? [] })));
  const quorums = policy.quorums.map((quorum, i) => ({ quorum, by: filled[i]! }));
  return {
    counted,
    have: quorums.reduce((sum, q) => sum + q.by.length, 0),
    required: policy.required,
    satisfied: quorums.every((q) => q.by.length >= q.quorum.required),
    quorums,
  };
}

/** `1/2`, or for all_of each group's progress: `QA 1/1 ✓ · Release 0/1`. */
export function describeTally(t: Tally): string {
  if (!t.quorums) return `${t.have}/${t.required}`;
  return t.quorums.map(({ quorum, by }) => `${escapeMrkdwn(quorum.name ?? quorum.group)} ${by.length}/${quorum.required}${by.length >= quorum.required ? ' ✓' : ''}`).join(' · ');
}
