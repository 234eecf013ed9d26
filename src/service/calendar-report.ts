import { ALWAYS_OPEN, type CalendarDecision, type FreezeSpan } from '../domain/calendar/calendar.js';
import { inForce, type AdHocFreeze } from '../domain/ad-hoc-freeze.js';
import { withAdHocFreezes } from '../domain/promotion-calendar.js';
import type { Instant } from '../domain/promotion.js';
import type { Calendars } from './ports.js';

export interface CalendarReport {
  environment: string;
  at: Instant;
  /** The calendar's zone; null when the environment has no calendar. */
  zone: string | null;
  decision: CalendarDecision;
  nextOpen: Instant | null;
  nextClose: Instant | null;
  weeks: number;
  freezes: FreezeSpan[];
  /** Ad-hoc freezes in force (`/promote freeze`): who, why, until when. */
  adHoc: AdHocFreeze[];
}

/** The calendar's answer for an environment at an instant, with what comes next. */
export function calendarReport(calendars: Calendars, environment: string, at: Instant, weeks = 4, stored: readonly AdHocFreeze[] = []): CalendarReport {
  const adHoc = inForce(stored, at).filter((f) => f.environment === environment);
  const calendar = withAdHocFreezes(calendars.calendarFor(environment), environment, adHoc);
  if (!calendar) return { environment, at, zone: null, decision: ALWAYS_OPEN, nextOpen: null, nextClose: null, weeks, freezes: [], adHoc };
  const decision = calendar.decide(at);
  return {
    environment,
    at,
    zone: calendar.zone.name,
    decision,
    nextOpen: decision.open ? null : calendar.nextChange(at, true),
    nextClose: decision.open ? calendar.nextChange(at, false) : null,
    weeks,
    freezes: calendar.freezesBetween(at, at + weeks * 7 * 24 * 3600_000).filter((f) => !f.rule.startsWith('ad-hoc:')),
    adHoc,
  };
}

/** The `--json` shape of `shipgate calendar`: instants in ISO 8601 with the calendar's offset. */
export function calendarJson(report: CalendarReport, iso: (instant: Instant) => string) {
  return {
    environment: report.environment,
    at: iso(report.at),
    open: report.decision.open,
    reason: report.decision.reason,
    rule: report.decision.rule,
    next_open: report.nextOpen === null ? null : iso(report.nextOpen),
    next_close: report.nextClose === null ? null : iso(report.nextClose),
  };
}
