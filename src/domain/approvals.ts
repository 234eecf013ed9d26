import { accept, refuse, unchanged, type Decision } from './decision.js';
import { describeApprovers, isAuthorized, type ApprovalPolicy, type EnvironmentPolicy } from './policy.js';
import { isOpen, type Approval, type Instant, type Promotion } from './promotion.js';
import { calendarFor, policyFor } from './readiness.js';
import { windowName } from './window-name.js';
import { countsFor, currentApprovals, describeTally, nextApprovalExpiry, tally } from './approval-tally.js';
import { startIfReady } from './deploy-start.js';

export interface Click {
  user: string;
  /** The approver groups (S…) of the policy that are known to contain the user. */
  memberOf: readonly string[];
  /** Why group membership could not be checked, if it could not; said instead of "not an approver". */
  membershipUnknown?: string | null;
  /**
   * Delegations the user holds now for this promotion's environment, from people the
   * policy names as approvers (with the delegator's groups); absent: none.
   */
  delegations?: readonly HeldDelegation[];
}

export interface HeldDelegation {
  delegator: string;
  memberOf: readonly string[];
  until: Instant;
}

/** The policy's approver entries a person counts under: their own id if listed, and their listed groups. */
function countsUnder(policy: ApprovalPolicy, user: string, memberOf: readonly string[]): string[] {
  return policy.approvers.filter((a) => a === user || memberOf.includes(a));
}

type Signer = { ok: true; approval: Approval } | { ok: false; decision: Decision };

/**
 * Who this click approves as: the person in their own right, or else on behalf of
 * someone who delegated to them. A delegation never lets anyone approve their own
 * promotion, nor the delegator's when self-approval is off, and a delegator counts
 * once whether they clicked or their delegate did.
 */
function signer(p: Promotion, click: Click, policy: ApprovalPolicy, now: Instant): Signer {
  const refused = (reason: string): Signer => ({ ok: false, decision: refuse(reason, { type: 'approval_refused', actor: click.user, detail: { reason } }) });
  const already = (reason: string): Signer => ({ ok: false, decision: unchanged(reason) });
  const counted = currentApprovals(p, policy, now);
  if (click.user === p.requester && !policy.selfApproval) return refused('You asked for this promotion; someone else must approve it.');
  if (isAuthorized(policy, click.user, click.memberOf)) {
    const forMe = counted.find((a) => countsFor(a) === click.user);
    if (forMe && forMe.user === click.user) return already('You already approved this promotion.');
    if (forMe) return already(`<@${forMe.user}> already approved this promotion on your behalf; you count once.`);
    return { ok: true, approval: { user: click.user, at: now, as: countsUnder(policy, click.user, click.memberOf) } };
  }
  const held = (click.delegations ?? []).filter((d) => now < d.until && isAuthorized(policy, d.delegator, d.memberOf));
  if (held.length > 0 && click.user === p.requester) return refused('You asked for this promotion; a delegation never lets you approve it yourself. Someone else must approve it.');
  const usable = held.filter((d) => d.delegator !== p.requester || policy.selfApproval);
  const open = usable.find((d) => !counted.some((a) => countsFor(a) === d.delegator));
  if (open) return { ok: true, approval: { user: click.user, at: now, as: countsUnder(policy, open.delegator, open.memberOf), onBehalfOf: open.delegator, delegatedUntil: open.until } };
  if (usable.length > 0) return already(`${usable.map((d) => `<@${d.delegator}>`).join(', ')} already counted for this promotion; one person counts once.`);
  if (held.length > 0) return refused(`${held.map((d) => `<@${d.delegator}>`).join(', ')} asked for this promotion, so a delegation from them cannot approve it.`);
  return refused(click.membershipUnknown ?? `You are not an approver for ${p.environment}. Approvers: ${describeApprovers(policy)}.`);
}

/**
 * The window an approval given now is for, when the calendar holds this promotion back:
 * the one it is scheduled for, or the next opening. Null when nothing holds it.
 */
function windowAhead(p: Promotion, env: EnvironmentPolicy, now: Instant): Approval['window'] | null {
  const calendar = calendarFor(p, env, now);
  if (!calendar || calendar.open) return null;
  const opens = p.state === 'scheduled' && p.scheduledFor !== null ? p.scheduledFor : env.calendar!.nextChange(now, true);
  if (opens === null) return null;
  return { opens, closes: env.calendar!.nextChange(opens, false) };
}

export function decideApproval(p: Promotion, click: Click, env: EnvironmentPolicy, now: Instant): Decision {
  const policy = policyFor(p, env);
  // Approvals may be given while gates still run, or while a rollback is queued behind a
  // deployment in progress; they count once that is over.
  // A scheduled promotion takes approvals too: pre-approvals for its window.
  if (!['awaiting_approval', 'checking', 'queued', 'scheduled'].includes(p.state)) return refuse(`This promotion is already ${p.state.replace('_', ' ')}; there is nothing to approve.`);
  const ahead = windowAhead(p, env, now);
  // An approval not bound to the coming window (it may lapse before it opens) can be renewed as a pre-approval for it.
  const binding = ahead ? { ...p, approvals: p.approvals.filter((a) => a.window?.opens === ahead.opens) } : p;
  const who = signer(binding, click, policy, now);
  if (!who.ok) return who.decision;
  const approval: Approval = ahead ? { ...who.approval, window: ahead } : who.approval;

  // A lapsed approval for the same person is replaced by the fresh one: one person counts once.
  const approved: Promotion = { ...p, approvals: [...p.approvals.filter((a) => countsFor(a) !== countsFor(approval)), approval] };
  const progress = describeTally(tally(approved, policy, now));
  // Queued: it starts when the deployment ahead ends. Scheduled: the window check decides, with this approval.
  const started = approved.state === 'queued' || approved.state === 'scheduled' ? { next: approved, audit: [], effects: [] } : startIfReady(approved, env, now);
  const expiry = ['awaiting_approval', 'checking', 'queued', 'scheduled'].includes(started.next.state) ? nextApprovalExpiry(approved, policy, now) : null;
  const behalf = `${approval.onBehalfOf ? ` on behalf of <@${approval.onBehalfOf}>` : ''}${approval.window ? ` for the window opening ${windowName(approval.window.opens)}` : ''}`;
  return accept(
    started.next,
    [{ type: 'approved', actor: click.user, detail: { count: tally(approved, policy, now).have, required: policy.required, progress, on_behalf_of: approval.onBehalfOf ?? null } }, ...started.audit],
    [
      { type: 'render' },
      { type: 'note', text: `<@${click.user}> approved${behalf} (${progress}).` },
      ...started.effects,
      ...(expiry !== null ? [{ type: 'render' as const, at: expiry }] : []),
    ],
    { reply: started.next.state === 'deploying' ? `Approved${behalf}. Deploying now.` : `Approved${behalf} (${progress}).` },
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
