import type { Instant } from '../promotion.js';

const HOUR = 3_600_000;
/** Offsets are probed this far apart to find their changes: no zone changes offset twice within it. */
const PROBE_STEP = 6 * HOUR;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws a RangeError when the runtime's ICU data does not know the zone. */
export function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short' });
    formatters.set(zone, f);
  }
  return f;
}

/**
 * The zone's UTC offset at an instant, read from Intl (the ICU data of the runtime) and
 * never from the host's zone. Exact, but each call formats a date: the tables below call
 * it only to find where the offset changes.
 */
export function intlOffsetAt(format: Intl.DateTimeFormat, instant: Instant): number {
  const parts: Record<string, string> = {};
  for (const p of format.formatToParts(new Date(instant))) parts[p.type] = p.value;
  const year = parts.era === 'BC' ? 1 - Number(parts.year) : Number(parts.year);
  const ms = ((instant % 1000) + 1000) % 1000;
  return Date.UTC(year, Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second)) + ms - instant;
}

/**
 * Instants in [from, to) at which OFFSET_AT changes: probes every six hours, then
 * narrows each change down to the second (zones change offset on whole seconds).
 */
export function scanTransitions(offsetAt: (instant: Instant) => number, from: Instant, to: Instant): Instant[] {
  const out: Instant[] = [];
  let at = from;
  let offset = offsetAt(at);
  while (at < to) {
    const next = Math.min(at + PROBE_STEP, to);
    const nextOffset = offsetAt(next);
    if (nextOffset !== offset) {
      let lo = at;
      let hi = next;
      while (hi - lo > 1000) {
        const mid = Math.floor((lo + hi) / 2 / 1000) * 1000;
        if (mid <= lo) break;
        if (offsetAt(mid) === offset) lo = mid;
        else hi = mid;
      }
      // A change exactly at `to` is outside [from, to).
      if (hi < to) out.push(hi);
      offset = nextOffset;
    }
    at = next;
  }
  return out;
}

/** One UTC year of a zone: its offset at the start, and each change after it with the offset from then on. */
interface YearOffsets {
  start: Instant;
  end: Instant;
  first: number;
  changes: Instant[];
  offsets: number[];
}

/**
 * A zone's offset changes, found once per UTC year with Intl and kept: afterwards an
 * offset is a lookup among a year's few changes instead of a date formatting, which is
 * what makes calendar decisions and window searches cheap.
 */
export class OffsetTable {
  private readonly years = new Map<number, YearOffsets>();
  private last: YearOffsets | null = null;

  constructor(private readonly format: Intl.DateTimeFormat) {}

  offsetAt(instant: Instant): number {
    const year = this.yearOf(instant);
    for (let i = year.changes.length - 1; i >= 0; i--) if (instant >= year.changes[i]!) return year.offsets[i]!;
    return year.first;
  }

  /** Instants in [from, to) at which the offset changes. */
  transitionsBetween(from: Instant, to: Instant): Instant[] {
    const out: Instant[] = [];
    for (let year = this.yearOf(from); year.start < to; year = this.yearOf(year.end)) {
      for (const change of year.changes) if (change >= from && change < to) out.push(change);
    }
    return out;
  }

  private yearOf(instant: Instant): YearOffsets {
    const last = this.last;
    if (last !== null && instant >= last.start && instant < last.end) return last;
    const number = new Date(instant).getUTCFullYear();
    let year = this.years.get(number);
    if (!year) {
      const start = Date.UTC(number, 0, 1);
      const end = Date.UTC(number + 1, 0, 1);
      const offsetAt = (at: Instant) => intlOffsetAt(this.format, at);
      const changes = scanTransitions(offsetAt, start, end);
      year = { start, end, first: offsetAt(start), changes, offsets: changes.map(offsetAt) };
      this.years.set(number, year);
    }
    this.last = year;
    return year;
  }
}

const tables = new Map<string, OffsetTable>();

/** The offset table of a zone, shared by every calendar in it. */
export function offsetTableOf(zone: string): OffsetTable {
  let table = tables.get(zone);
  if (!table) {
    table = new OffsetTable(formatterFor(zone));
    tables.set(zone, table);
  }
  return table;
}
