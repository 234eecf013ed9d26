import type { ApprovalPolicy, EnvironmentPolicy } from './policy.js';
import type { CalendarDecision } from './calendar/calendar.js';
import type { Instant, Promotion } from './promotion.js';
import { describeTally, tally } from './approval-tally.js';

export { currentApprovals, isApprovalCurrent, nextApprovalExpiry } from './approval-tally.js';
import { describeLock, lockFor, type Lock } from './lock.js';
import { breakGlassAt, hasCalendar, promotionCalendar } from './promotion-calendar.js';

/** The approval policy a promotion answers to: the rollback policy, the emergency policy, or the environment's. */
export function policyFor(p: Pick<Promotion, 'kind' | 'emergency'>, env: EnvironmentPolicy): ApprovalPolicy {
  if (p.kind === 'rollback') return env.rollback;
  if (p.emergency && env.emergency) return env.emergency;
  return env.approvals;
}

/** Emergencies bypass the calendar (its ad-hoc freezes too); rollbacks do too unless the environment says otherwise. */
export function calendarApplies(p: Pick<Promotion, 'kind' | 'emergency'>, env: EnvironmentPolicy): boolean {
  if (!hasCalendar(env) || p.emergency) return false;
  return p.kind !== 'rollback' || env.rollbackRespectsCalendar;
}

/** The calendar's answer for this promotion now, or null when no calendar applies to it. */
export function calendarFor(p: Pick<Promotion, 'kind' | 'emergency' | 'requester'>, env: EnvironmentPolicy, now: Instant): CalendarDecision | null {
  return calendarApplies(p, env) ? promotionCalendar(p, env)!.decide(now) : null;
}

export function gatesPassed(p: Pick<Promotion, 'gates'>): boolean {
  return p.gates === null || Object.values(p.gates.results).every((r) => r.status === 'passed');
}

export interface Readiness {
  ready: boolean;
  approved: boolean;
  gatesPassed: boolean;
  /** The calendar's answer when one applies; a closed calendar alone makes a promotion wait (scheduled). */
  calendar: CalendarDecision | null;
  /** The lock that holds this promotion back, if one does; rollbacks and the owner's own promotions pass. */
  lock: Lock | null;
  /** The freeze in force that this promotion's requester may deploy through (break-glass), by name; null: none. */
  breakGlass: string | null;
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
  const approvals = tally(p, policy, now);
  const approved = approvals.satisfied;
  if (!approved) waitingFor.push(`approvals ${describeTally(approvals)}`);
  const passed = gatesPassed(p);
  if (!passed) waitingFor.push('gates');
  const calendar = calendarFor(p, env, now);
  if (calendar && !calendar.open) waitingFor.push(`the release window (${calendar.reason})`);
  const lock = lockFor(p, env.locks ?? []);
  if (lock) waitingFor.push(describeLock(lock));
  const breakGlass = calendar?.open ? (breakGlassAt(p, env, now)?.name ?? null) : null;
  return { ready: waitingFor.length === 0, approved, gatesPassed: passed, calendar, lock, breakGlass, waitingFor };
}
