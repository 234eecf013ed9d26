import type { Instant } from '../promotion.js';
import type { Freeze, FreezeSource } from './freeze.js';
import { DAY, HOUR, wallDate, type WallTime, type Zone } from './zone.js';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A weekly allow-window in local wall-clock minutes; `end <= start` crosses midnight into the next day. */
export interface CalendarWindow {
  days: readonly Weekday[];
  start: number;
  end: number;
}

export interface CalendarDecision {
  open: boolean;
  /** A sentence for people: why it is open or closed. */
  reason: string;
  /** What decided: `window:0`, `freeze:Year-end freeze`, `holiday:Christmas Day`, or null. */
  rule: string | null;
}

/** What a calendar file says besides windows and freezes. */
export interface CalendarOptions {
  /** Every user and group id named by a freeze's `allow` list, so their members can be looked up before a decision. */
  allowed?: readonly string[];
  /** How long before a freeze starts its notice goes to the environment's channel; null: no notices. */
  noticeMs?: number | null;
}

/** A freeze as an instant range, with who may still deploy during it. */
export interface FreezeSpan {
  name: string;
  rule: string;
  start: Instant;
  end: Instant;
  allow: readonly string[];
}

/** How far ahead `next_open` and `next_close` are looked for. */
export const LOOK_AHEAD_MS = 400 * DAY;
const CHUNK_MS = 7 * DAY;
/** No zone is more than 14 hours from UTC, so a wall-clock time maps to instants within this distance. */
const MAX_OFFSET = 14 * HOUR;

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

export function describeWindow(w: CalendarWindow): string {
  return `${w.days.join(', ')} ${hhmm(w.start)}–${hhmm(w.end)}`;
}

/**
 * A release calendar: an instant is open when its local wall-clock time is inside
 * some window (or there are no windows) and inside no freeze or holiday. Pure: time
 * is always an argument; nothing here reads the clock or the host's zone.
 */
export class Calendar {
  private readonly byYear = new Map<number, readonly Freeze[]>();

  constructor(
    readonly name: string,
    readonly zone: Zone,
    readonly windows: readonly CalendarWindow[],
    readonly sources: readonly FreezeSource[],
    readonly options: CalendarOptions = {},
  ) {}

  /**
   * This calendar as it applies to one promotion: with `extra` freezes added (ad-hoc
   * ones, stored at runtime) and without the freezes `exempt` lets it through (break-glass).
   * The file's freezes stay cached here; the result is meant for one decision.
   */
  adjusted(extra: readonly Freeze[], exempt: (freeze: Freeze) => boolean): Calendar {
    const base = this;
    const source: FreezeSource = { freezesOverlapping: (year) => [...base.freezesOverlapping(year), ...extra].filter((f) => !exempt(f)) };
    return new Calendar(this.name, this.zone, this.windows, [source], this.options);
  }

  freezesOverlapping(year: number): readonly Freeze[] {
    let cached = this.byYear.get(year);
    if (!cached) {
      cached = this.sources.flatMap((s) => s.freezesOverlapping(year));
      this.byYear.set(year, cached);
    }
    return cached;
  }

  /** The freeze or holiday covering an instant, if any (freezes are listed before holidays). */
  freezeAt(instant: Instant, wall: WallTime = this.zone.wallOf(instant)): Freeze | null {
    let holiday: Freeze | null = null;
    for (const f of this.freezesOverlapping(wallDate(wall).year)) {
      const inside = f.basis === 'wall' ? f.start <= wall && wall < f.end : f.start <= instant && instant < f.end;
      if (!inside) continue;
      if (!f.rule.startsWith('holiday:')) return f;
      holiday ??= f;
    }
    return holiday;
  }

  windowAt(wall: WallTime): number | null {
    if (this.windows.length === 0) return -1;
    const today = wallDate(wall);
    const yesterday = WEEKDAYS[(today.weekday + 6) % 7]!;
    const day = WEEKDAYS[today.weekday]!;
    const minute = today.minuteOfDay;
    for (const [index, w] of this.windows.entries()) {
      if (w.start < w.end) {
        if (w.days.includes(day) && minute >= w.start && minute < w.end) return index;
      } else if ((w.days.includes(day) && minute >= w.start) || (w.days.includes(yesterday) && minute < w.end)) {
        return index;
      }
    }
    return null;
  }

  decide(instant: Instant): CalendarDecision {
    const wall = this.zone.wallOf(instant);
    const freeze = this.freezeAt(instant, wall);
    if (freeze) {
      const kind = freeze.rule.startsWith('holiday:') ? 'public holiday' : 'freeze';
      return { open: false, reason: `${kind}: ${freeze.name}`, rule: freeze.rule };
    }
    const window = this.windowAt(wall);
    if (window === -1) return { open: true, reason: 'no freeze, and no windows: open at all hours', rule: null };
    if (window === null) {
      return { open: false, reason: `outside the release windows (${this.windows.map(describeWindow).join('; ')}, ${this.zone.name})`, rule: null };
    }
    return { open: true, reason: `inside window ${window} (${describeWindow(this.windows[window]!)}, ${this.zone.name})`, rule: `window:${window}` };
  }

  /** Whether an instant is open: what `decide` answers, without the sentence, for searches that try many instants. */
  isOpen(instant: Instant): boolean {
    const wall = this.zone.wallOf(instant);
    return this.freezeAt(instant, wall) === null && this.windowAt(wall) !== null;
  }

  /** The first instant after `from` that is open (or closed, with `open: false`); null if none within the look-ahead. */
  nextChange(from: Instant, open: boolean, lookAhead = LOOK_AHEAD_MS): Instant | null {
    // Most answers lie within a day: look one day ahead first, then widen to a week at a time.
    for (let start = from + 1, size = DAY; start < from + lookAhead; start += size, size = Math.min(size * 2, CHUNK_MS)) {
      const end = Math.min(start + size, from + lookAhead);
      for (const candidate of this.candidatesIn(start, end)) {
        if (this.isOpen(candidate) === open) return candidate;
      }
    }
    return null;
  }

  /** Freezes and holidays overlapping [from, to), as instant ranges, in order. */
  freezesBetween(from: Instant, to: Instant): FreezeSpan[] {
    const years = new Set([wallDate(this.zone.wallOf(from)).year, wallDate(this.zone.wallOf(to)).year]);
    const seen = new Set<string>();
    const out: FreezeSpan[] = [];
    for (const year of years) {
      for (const f of this.freezesOverlapping(year)) {
        const start = f.basis === 'wall' ? this.zone.instantOf(f.start) : f.start;
        const end = f.basis === 'wall' ? this.zone.instantOf(f.end) : f.end;
        const key = `${f.rule}@${start}`;
        if (start < to && end > from && !seen.has(key)) {
          seen.add(key);
          out.push({ name: f.name, rule: f.rule, start, end, allow: f.allow ?? [] });
        }
      }
    }
    return out.sort((a, b) => a.start - b.start);
  }

  /**
   * Every instant in [from, to) at which the answer can change: where the wall clock
   * reaches a window or freeze boundary (once, twice in a fall-back overlap), where an
   * instant freeze starts or ends, and where the zone's offset jumps (a boundary in a
   * spring-forward gap takes effect there). Between two candidates nothing changes.
   */
  private candidatesIn(from: Instant, to: Instant): Instant[] {
    const found = new Set<Instant>(this.zone.transitionsBetween(from, to));
    const wallFrom = from - MAX_OFFSET;
    const wallTo = to + MAX_OFFSET;
    const addWall = (wall: WallTime) => {
      if (wall < wallFrom || wall >= wallTo) return;
      for (const instant of this.zone.instantsOf(wall)) found.add(instant);
    };
    for (let day = Math.floor(wallFrom / DAY) * DAY - DAY; day < wallTo; day += DAY) {
      for (const w of this.windows) {
        addWall(day + w.start * 60_000);
        addWall(day + w.end * 60_000);
      }
    }
    const years = new Set([wallDate(wallFrom).year, wallDate(wallTo).year]);
    for (const year of years) {
      for (const f of this.freezesOverlapping(year)) {
        if (f.basis === 'wall') {
          addWall(f.start);
          addWall(f.end);
        } else {
          found.add(f.start);
          found.add(f.end);
        }
      }
    }
    return [...found].filter((c) => c >= from && c < to).sort((a, b) => a - b);
  }
}

/** An environment without a calendar file: always open. */
export const ALWAYS_OPEN: CalendarDecision = { open: true, reason: 'no calendar: always open', rule: null };
