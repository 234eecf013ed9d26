import type { Instant } from '../promotion.js';
import { formatterFor, offsetTableOf, type OffsetTable } from './zone-offsets.js';

/**
 * Local wall-clock time as a number: milliseconds since 1970-01-01T00:00 *of the
 * local calendar*, as if it were UTC. Arithmetic on it is calendar arithmetic with
 * no DST; converting to and from instants is the only place a zone matters.
 */
export type WallTime = number;

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export function isValidZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

/**
 * An IANA time zone, converted with the runtime's ICU data (through the zone's table of
 * offset changes), never with the host's own zone: the answer is the same whatever TZ
 * the process runs under.
 */
export class Zone {
  private readonly offsets: OffsetTable;

  constructor(readonly name: string) {
    this.offsets = offsetTableOf(name);
  }

  wallOf(instant: Instant): WallTime {
    return instant + this.offsetAt(instant);
  }

  offsetAt(instant: Instant): number {
    return this.offsets.offsetAt(instant);
  }

  /** The instants whose wall-clock time is `wall`: none in a spring-forward gap, two in a fall-back overlap. */
  instantsOf(wall: WallTime): Instant[] {
    const found = new Set<Instant>();
    for (const probe of [wall - 14 * HOUR, wall + 14 * HOUR]) {
      const candidate = wall - this.offsetAt(probe);
      if (this.wallOf(candidate) === wall) found.add(candidate);
    }
    return [...found].sort((a, b) => a - b);
  }

  /**
   * The instant for a wall-clock time, as RFC 5545 and Temporal's "compatible" do it:
   * the earlier of two in an overlap; in a gap, the time shifted forward by the gap.
   */
  instantOf(wall: WallTime): Instant {
    const [first] = this.instantsOf(wall);
    if (first !== undefined) return first;
    return wall - this.offsetAt(wall - 14 * HOUR);
  }

  /** Instants in [from, to) at which the offset changes (DST and other transitions). */
  transitionsBetween(from: Instant, to: Instant): Instant[] {
    return this.offsets.transitionsBetween(from, to);
  }

  /** ISO 8601 with the zone's offset at that instant, e.g. 2026-12-18T00:00:00+01:00. */
  isoOf(instant: Instant): string {
    const offset = Math.round(this.offsetAt(instant) / MINUTE);
    const wall = new Date(instant + offset * MINUTE).toISOString().slice(0, 19);
    const sign = offset < 0 ? '-' : '+';
    const abs = Math.abs(offset);
    return `${wall}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  }
}

export function wallDate(wall: WallTime): { year: number; month: number; day: number; weekday: number; minuteOfDay: number } {
  const d = new Date(wall);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: d.getUTCDay(), minuteOfDay: d.getUTCHours() * 60 + d.getUTCMinutes() };
}
