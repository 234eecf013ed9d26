import { asCalendarFreeze, type AdHocFreeze } from './ad-hoc-freeze.js';
import { Calendar } from './calendar/calendar.js';
import type { Freeze } from './calendar/freeze.js';
import { Zone } from './calendar/zone.js';
import type { EnvironmentPolicy } from './policy.js';
import type { Instant, Promotion } from './promotion.js';

const NO_MEMBERS: ReadonlyMap<string, ReadonlySet<string>> = new Map();

/** Break-glass: the requester is on the freeze's `allow` list, by id or through a listed group. */
export function mayDeployThrough(freeze: Pick<Freeze, 'allow'>, requester: string, members: ReadonlyMap<string, ReadonlySet<string>> = NO_MEMBERS): boolean {
  return (freeze.allow ?? []).some((entry) => entry === requester || members.get(entry)?.has(requester) === true);
}

/** Whether anything can close the environment: a calendar file, or an ad-hoc freeze. */
export function hasCalendar(env: Pick<EnvironmentPolicy, 'calendar' | 'freezes'>): boolean {
  return env.calendar !== null || (env.freezes?.length ?? 0) > 0;
}

/** The file's calendar with the ad-hoc freezes added; an environment without a file gets one open at all hours (UTC). */
export function withAdHocFreezes(calendar: Calendar | null, environment: string, freezes: readonly AdHocFreeze[]): Calendar | null {
  const extra = freezes.map(asCalendarFreeze);
  if (extra.length === 0) return calendar;
  return (calendar ?? new Calendar(environment, new Zone('UTC'), [], [])).adjusted(extra, () => false);
}

function withAdHoc(env: EnvironmentPolicy): Calendar | null {
  return withAdHocFreezes(env.calendar, env.name, env.freezes ?? []);
}

/**
 * The calendar as it applies to this promotion: the file's freezes and the ad-hoc ones,
 * without those whose break-glass list names its requester. Null: nothing can close it.
 */
export function promotionCalendar(p: Pick<Promotion, 'requester'>, env: EnvironmentPolicy): Calendar | null {
  const full = withAdHoc(env);
  if (!full) return null;
  return full.adjusted([], (f) => mayDeployThrough(f, p.requester, env.breakGlass));
}

/** The freeze in force at `now` that this promotion may deploy through (break-glass), or null. */
export function breakGlassAt(p: Pick<Promotion, 'requester'>, env: EnvironmentPolicy, now: Instant): Freeze | null {
  const freeze = withAdHoc(env)?.freezeAt(now) ?? null;
  return freeze && mayDeployThrough(freeze, p.requester, env.breakGlass) ? freeze : null;
}
