import type { Instant } from '../promotion.js';

/**
 * Local wall-clock time as a number: milliseconds since 1970-01-01T00:00 *of the
 * local calendar*, as if it were UTC. Arithmetic on it is calendar arithmetic with
 * no DST; converting to and from instants is the only place a zone matters.
 */
export type WallTime = number;

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short' });
    formatters.set(zone, f);
  }
  return f;
}

export function isValidZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

/**
 * An IANA time zone, converted with Intl (the ICU data of the runtime), never with
 * the host's own zone: the answer is the same whatever TZ the process runs under.
 */
export class Zone {
  private readonly format: Intl.DateTimeFormat;

  constructor(readonly name: string) {
    this.format = formatterFor(name);
  }

  wallOf(instant: Instant): WallTime {
    const parts: Record<string, string> = {};
    for (const p of this.format.formatToParts(new Date(instant))) parts[p.type] = p.value;
    const year = parts.era === 'BC' ? 1 - Number(parts.year) : Number(parts.year);
    const ms = ((instant % 1000) + 1000) % 1000;
    return Date.UTC(year, Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second)) + ms;
  }

  offsetAt(instant: Instant): number {
    return this.wallOf(instant) - instant;
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
    const step = 6 * HOUR;
    const out: Instant[] = [];
    let at = from;
    let offset = this.offsetAt(at);
    while (at < to) {
      const next = Math.min(at + step, to);
      const nextOffset = this.offsetAt(next);
      if (nextOffset !== offset) {
        let lo = at;
        let hi = next;
        while (hi - lo > 1000) {
          const mid = Math.floor((lo + hi) / 2 / 1000) * 1000;
          if (mid <= lo) break;
          if (this.offsetAt(mid) === offset) lo = mid;
          else hi = mid;
        }
        out.push(hi);
        offset = nextOffset;
      }
      at = next;
    }
    return out;
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
