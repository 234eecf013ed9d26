import { accept, refuse, unchanged, type Decision } from './decision.js';
import { describeApprovers, isAuthorized, type EnvironmentPolicy } from './policy.js';
import { isOpen, type Instant, type Promotion } from './promotion.js';
import { currentApprovals, isApprovalCurrent, nextApprovalExpiry, policyFor } from './readiness.js';
import { startIfReady } from './deploy-start.js';

export interface Click {
  user: string;
  /** The approver groups (S…) of the policy that are known to contain the user. */
  memberOf: readonly string[];
  /** Why group membership could not be checked, if it could not; said instead of "not an approver". */
  membershipUnknown?: string | null;
}

export function decideApproval(p: Promotion, click: Click, env: EnvironmentPolicy, now: Instant): Decision {
  const policy = policyFor(p, env);
  const refused = (reason: string) => refuse(reason, { type: 'approval_refused', actor: click.user, detail: { reason } });
  // Approvals may be given while gates still run, or while a rollback is queued behind a
  // deployment in progress; they count once that is over.
  if (p.state !== 'awaiting_approval' && p.state !== 'checking' && p.state !== 'queued') return refuse(`This promotion is already ${p.state.replace('_', ' ')}; there is nothing to approve.`);
  if (click.user === p.requester && !policy.selfApproval) {
    return refused('You asked for this promotion; someone else must approve it.');
  }
  if (!isAuthorized(policy, click.user, click.memberOf)) {
    return refused(click.membershipUnknown ?? `You are not an approver for ${p.environment}. Approvers: ${describeApprovers(policy)}.`);
  }
  const mine = p.approvals.find((a) => a.user === click.user);
  if (mine && isApprovalCurrent(mine, policy, now)) return unchanged('You already approved this promotion.');

  // A lapsed approval is replaced by the fresh one: one person counts once.
  const approved: Promotion = { ...p, approvals: [...p.approvals.filter((a) => a.user !== click.user), { user: click.user, at: now }] };
  const have = currentApprovals(approved, policy, now).length;
  const started = approved.state === 'queued' ? { next: approved, audit: [], effects: [] } : startIfReady(approved, env, now);
  const expiry = ['awaiting_approval', 'checking', 'queued'].includes(started.next.state) ? nextApprovalExpiry(approved, policy, now) : null;
  return accept(
    started.next,
    [{ type: 'approved', actor: click.user, detail: { count: have, required: policy.required } }, ...started.audit],
    [
      { type: 'render' },
      { type: 'note', text: `<@${click.user}> approved (${Math.min(have, policy.required)}/${policy.required}).` },
      ...started.effects,
      ...(expiry !== null ? [{ type: 'render' as const, at: expiry }] : []),
    ],
    { reply: started.next.state === 'deploying' ? 'Approved. Deploying now.' : `Approved (${have}/${policy.required}).` },
  );
}

export function decideRejection(p: Promotion, click: Click & { reason: string | null }, env: EnvironmentPolicy, now: Instant): Decision {
  const policy = policyFor(p, env);
  if (!['awaiting_approval', 'checking', 'blocked', 'scheduled', 'queued'].includes(p.state)) return refuse(`This promotion is already ${p.state.replace('_', ' ')}; it can no longer be rejected.`);
  if (policy.approvers.length === 0 || !isAuthorized(policy, click.user, click.memberOf)) {
    const reason = click.membershipUnknown ?? `Only an approver for ${p.environment} can reject this promotion. Approvers: ${describeApprovers(policy)}.`;
    return refuse(reason, { type: 'rejection_refused', actor: click.user, detail: { reason } });
  }
  return accept(
    { ...p, state: 'rejected', ending: { user: click.user, at: now, reason: click.reason } },
    [{ type: 'rejected', actor: click.user, detail: { reason: click.reason } }],
    [{ type: 'render' }, { type: 'note', text: `<@${click.user}> rejected this promotion.` }],
    { reply: 'Rejected.' },
  );
}

export function decideCancel(p: Promotion, click: Click, env: EnvironmentPolicy, now: Instant): Decision {
  const policy = policyFor(p, env);
  if (p.state === 'deploying') return refuse('The deployment has already started; it can no longer be cancelled. Roll back once it finishes.');
  if (!isOpen(p.state) && p.state !== 'queued') {
    return refuse(`This promotion is already ${p.state.replace('_', ' ')}; there is nothing to cancel.`);
  }
  const isApprover = policy.approvers.length > 0 && isAuthorized(policy, click.user, click.memberOf);
  if (click.user !== p.requester && !isApprover) {
    const reason = click.membershipUnknown ?? 'Only the person who asked for this promotion, or an approver, can cancel it.';
    return refuse(reason, { type: 'cancel_refused', actor: click.user, detail: { reason } });
  }
  return accept(
    { ...p, state: 'cancelled', ending: { user: click.user, at: now, reason: null } },
    [{ type: 'cancelled', actor: click.user }],
    [{ type: 'render' }, { type: 'note', text: `<@${click.user}> cancelled this promotion.` }],
    { reply: 'Cancelled.' },
  );
}
