import type { ApprovalPolicy, EnvironmentPolicy } from './policy.js';
import type { Approval, Instant, Promotion } from './promotion.js';

/** The approval policy a promotion answers to: the environment's, or its rollback policy. */
export function policyFor(p: Pick<Promotion, 'kind'>, env: EnvironmentPolicy): ApprovalPolicy {
  return p.kind === 'rollback' ? env.rollback : env.approvals;
}

export function isApprovalCurrent(approval: Approval, policy: ApprovalPolicy, now: Instant): boolean {
  return policy.expireAfterMs === null || now - approval.at < policy.expireAfterMs;
}

export function currentApprovals(p: Pick<Promotion, 'approvals'>, policy: ApprovalPolicy, now: Instant): Approval[] {
  return p.approvals.filter((a) => isApprovalCurrent(a, policy, now));
}

/** The earliest instant at which a counted approval stops counting, if any does. */
export function nextApprovalExpiry(p: Pick<Promotion, 'approvals'>, policy: ApprovalPolicy, now: Instant): Instant | null {
  if (policy.expireAfterMs === null) return null;
  const expiries = currentApprovals(p, policy, now).map((a) => a.at + (policy.expireAfterMs as number));
  return expiries.length ? Math.min(...expiries) : null;
}

export interface Readiness {
  ready: boolean;
  /** One sentence per condition that does not hold yet. */
  waitingFor: string[];
}

/**
 * A promotion may deploy when every condition holds at once. Gates, calendar and
 * locks add their own conditions here as they arrive.
 */
export function readiness(p: Promotion, env: EnvironmentPolicy, now: Instant): Readiness {
  const policy = policyFor(p, env);
  const waitingFor: string[] = [];
  const have = currentApprovals(p, policy, now).length;
  if (have < policy.required) waitingFor.push(`approvals ${have}/${policy.required}`);
  return { ready: waitingFor.length === 0, waitingFor };
}
