import type { Instant } from '../promotion.js';
import type { WallTime } from './zone.js';

/**
 * A span during which nothing deploys. `wall` spans are local wall-clock times of the
 * calendar's zone (dated freezes, cron freezes, holidays, all-day and floating events);
 * `instant` spans are fixed moments (events with a UTC time or another zone's TZID).
 */
export type Freeze = (
  | { basis: 'wall'; start: WallTime; end: WallTime; rule: string; name: string }
  | { basis: 'instant'; start: Instant; end: Instant; rule: string; name: string }
) & {
  /** Break-glass: user ids (U…/W…) and user group ids (S…) whose promotions this freeze does not hold. */
  allow?: readonly string[];
};

/** Produces the freezes that overlap one local calendar year; results are cached by the calendar. */
export interface FreezeSource {
  freezesOverlapping(year: number): readonly Freeze[];
}

export function wallYear(year: number): { start: WallTime; end: WallTime } {
  return { start: Date.UTC(year, 0, 1), end: Date.UTC(year + 1, 0, 1) };
}

/** A freeze between two local date-times, written in the calendar file. */
export class DatedFreeze implements FreezeSource {
  constructor(private readonly freeze: Freeze & { basis: 'wall' }) {}

  freezesOverlapping(year: number): readonly Freeze[] {
    const { start, end } = wallYear(year);
    return this.freeze.start < end && this.freeze.end > start ? [this.freeze] : [];
  }
}
