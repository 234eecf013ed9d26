import ms from 'ms';
import { accept, unchanged, type Decision, type Effect } from './decision.js';
import { mention, type ApprovalPolicy, type EnvironmentPolicy } from './policy.js';
import type { Instant, Promotion } from './promotion.js';
import { policyFor } from './readiness.js';
import { countsFor, describeTally, tally, type Tally } from './approval-tally.js';

/** `remind` pings who can still approve; `escalate` pings the policy's escalate_to. */
export type ReminderStage = 'remind' | 'escalate';

/** One ping, due at `at`; the pair names it for good (a job id, and what the record says was sent). */
export interface Reminder {
  stage: ReminderStage;
  at: Instant;
}

/** When the current wait for approval began: the request, or when it had to wait for approval again. */
function waitStart(p: Promotion): Instant {
  return p.approvalWaitSince ?? p.requestedAt;
}

/** The pings a wait for approval calls for under the policy, sent or not. */
export function reminderPlan(p: Promotion, policy: ApprovalPolicy): Reminder[] {
  const since = waitStart(p);
  const plan: Reminder[] = [];
  if (policy.remindAfterMs) plan.push({ stage: 'remind', at: since + policy.remindAfterMs });
  if (policy.escalateAfterMs && policy.escalateTo) plan.push({ stage: 'escalate', at: since + policy.escalateAfterMs });
  return plan;
}

/** Waits on people: approvals may be given now and are not yet enough (and no lock holds an approved promotion back). */
function waitsForApproval(p: Promotion, policy: ApprovalPolicy, now: Instant): Tally | null {
  if (p.state !== 'awaiting_approval' && p.state !== 'checking') return null;
  if (p.heldBy) return null;
  const t = tally(p, policy, now);
  return t.satisfied ? null : t;
}

/** The reminder jobs a promotion waiting for approval should have: its plan, less what was sent. */
export function pendingReminders(p: Promotion, env: EnvironmentPolicy): Reminder[] {
  if (p.state !== 'awaiting_approval' && p.state !== 'checking') return [];
  return reminderPlan(p, policyFor(p, env)).filter((r) => !sent(p, r));
}

/** The follow-up jobs for a wait that starts now; the decision that starts it adds them to its commit. */
export function reminderEffects(p: Promotion, env: EnvironmentPolicy): Effect[] {
  return pendingReminders(p, env).map((r) => ({ type: 'remind', stage: r.stage, at: r.at }));
}

function sent(p: Promotion, r: Reminder): boolean {
  return (p.reminded ?? []).some((s) => s.stage === r.stage && s.at === r.at);
}

/**
 * Who can still move the promotion: for all_of, the groups whose quorum is not met; for
 * N of M, the approvers except people already counted. Never the requester when they
 * may not approve their own promotion. A group is mentioned whole: Slack cannot leave
 * out its members who already approved.
 */
export function stillToApprove(p: Promotion, policy: ApprovalPolicy, t: Tally): string[] {
  const counted = new Set(t.counted.map(countsFor));
  const open = t.quorums ? t.quorums.filter((q) => q.by.length < q.quorum.required).map((q) => q.quorum.group) : policy.approvers.filter((a) => !counted.has(a));
  return open.filter((a) => policy.selfApproval || a !== p.requester);
}

/**
 * A reminder job ran: ping the thread once, and only while the promotion still waits
 * for approval in the same wait. Anything else (approved, rejected, cancelled,
 * superseded, expired, a new wait with its own reminders) makes it a no-op.
 */
export function decideReminder(p: Promotion, due: Reminder, env: EnvironmentPolicy, now: Instant): Decision {
  const policy = policyFor(p, env);
  const t = waitsForApproval(p, policy, now);
  if (!t) return unchanged(`Promotion ${p.id} no longer waits for approval (${p.state.replace('_', ' ')}).`);
  if (sent(p, due)) return unchanged(`The ${due.stage} of ${p.id} due ${new Date(due.at).toISOString()} was sent already.`);
  if (!reminderPlan(p, policy).some((r) => r.stage === due.stage && r.at === due.at)) return unchanged(`The ${due.stage} of ${p.id} belongs to an earlier wait.`);
  const waited = ms(Math.max(0, now - waitStart(p)), { long: true });
  const who = due.stage === 'escalate' ? [policy.escalateTo!] : stillToApprove(p, policy, t);
  const text =
    due.stage === 'escalate'
      ? `:rotating_light: Escalating to ${mention(policy.escalateTo!)}: this promotion has waited ${waited} for approval (${describeTally(t)}).`
      : `:bell: Still waiting for approval after ${waited} (${describeTally(t)}): ${who.map(mention).join(', ') || 'nobody else may approve'}.`;
  return accept(
    { ...p, reminded: [...(p.reminded ?? []), due] },
    [{ type: due.stage === 'escalate' ? 'approval_escalated' : 'approval_reminder', actor: 'shipgate', detail: { pinged: who.join(','), progress: describeTally(t), due: new Date(due.at).toISOString() } }],
    [{ type: 'note', text }],
  );
}
