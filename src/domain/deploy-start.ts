import type { AuditFact, Effect } from './decision.js';
import type { EnvironmentPolicy } from './policy.js';
import type { Instant, Promotion } from './promotion.js';
import { nextApprovalExpiry, policyFor, readiness } from './readiness.js';
import { escapeMrkdwn } from './slack-text.js';
import { describeLock, type Lock } from './lock.js';
import { promotionCalendar } from './promotion-calendar.js';

export interface Started {
  next: Promotion;
  audit: AuditFact[];
  effects: Effect[];
}

/**
 * What follows once approvals may be satisfied: deploy now if every condition holds;
 * if only the calendar is closed, schedule for the next opening (checked again then);
 * otherwise stay as is.
 */
export function startIfReady(p: Promotion, env: EnvironmentPolicy, now: Instant): Started {
  const state = readiness(p, env, now);
  if (state.ready) {
    const { heldBy: _lifted, ...rest } = p;
    const next: Promotion = { ...rest, state: 'deploying', scheduledFor: null, deployment: { startedAt: now, finishedAt: null, error: null }, ...(state.breakGlass ? { breakGlass: state.breakGlass } : {}) };
    // Break-glass is not an emergency: the approvals and windows held; only a freeze that lists the requester was passed.
    const through = state.breakGlass ? ` during the freeze "${escapeMrkdwn(state.breakGlass)}" (break-glass: <@${p.requester}> is on its allow list)` : '';
    return {
      next,
      audit: [{ type: 'deploy_started', actor: 'shipgate', detail: { version: p.version, previous_version: p.previousVersion, calendar: state.calendar?.rule ?? null, emergency: p.emergency, break_glass: state.breakGlass } }],
      effects: [{ type: 'deploy' }, { type: 'note', text: `Deploying ${p.app} ${p.version} to ${p.environment}${through}…` }],
    };
  }
  if (!state.approved || !state.gatesPassed) return { next: p, audit: [], effects: [] };
  if (state.lock && (!state.calendar || state.calendar.open)) return waitForLock(p, state.lock);
  if (!state.calendar) return { next: p, audit: [], effects: [] };
  const calendar = promotionCalendar(p, env)!;
  const opensAt = calendar.nextChange(now, true);
  const next: Promotion = { ...p, state: 'scheduled', scheduledFor: opensAt };
  // Approvals that lapse before the window opens send the promotion back for approval then, not at the opening.
  const lapses = nextApprovalExpiry(p, policyFor(p, env), now);
  const lapseCheck = lapses !== null && (opensAt === null || lapses < opensAt) ? [{ type: 'check-window' as const, at: lapses }] : [];
  const when = opensAt === null ? 'no window opens within a year' : `it deploys when the window opens (${calendar.zone.isoOf(opensAt)})`;
  return {
    next,
    audit: [{ type: 'scheduled', actor: 'shipgate', detail: { reason: state.calendar.reason, rule: state.calendar.rule, next_open: opensAt === null ? null : new Date(opensAt).toISOString() } }],
    effects: [
      ...(opensAt === null ? [] : [{ type: 'check-window' as const, at: opensAt }]),
      ...lapseCheck,
      { type: 'note', text: `Approved, but ${p.environment} is closed (${escapeMrkdwn(state.calendar.reason)}): ${when}.` },
    ],
  };
}

/**
 * Approved while a lock holds the environment: it waits, still open, and the unlock
 * checks it again. Said once per lock, however many approvals follow.
 */
function waitForLock(p: Promotion, lock: Lock): Started {
  const next: Promotion = { ...p, state: 'awaiting_approval', scheduledFor: null, heldBy: lock };
  if (p.heldBy && p.heldBy.owner === lock.owner && p.heldBy.at === lock.at && p.state === 'awaiting_approval') return { next, audit: [], effects: [] };
  return {
    next,
    audit: [{ type: 'held_by_lock', actor: 'shipgate', detail: { lock_app: lock.app, owner: lock.owner, reason: lock.reason } }],
    effects: [{ type: 'note', text: `Approved, but waiting for ${describeLock(lock)}: it deploys when the lock is lifted.` }],
  };
}
