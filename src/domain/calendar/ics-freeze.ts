import ICAL from 'ical.js';
import { wallYear, type Freeze, type FreezeSource } from './freeze.js';
import { DAY, HOUR, isValidZone, Zone, type WallTime } from './zone.js';

const MAX_OCCURRENCES = 100_000;

type IcalTime = InstanceType<typeof ICAL.Time>;

/**
 * Every event of an iCalendar file is a freeze; recurrences (RRULE, RDATE, EXDATE) are
 * expanded by ical.js. Times with a TZID are read in that IANA zone, UTC times as
 * instants, floating times and all-day dates as wall-clock time of the calendar.
 */
export class IcsFreeze implements FreezeSource {
  private readonly events: InstanceType<typeof ICAL.Event>[];

  /** Throws with ical.js's message when the text is not iCalendar. */
  constructor(text: string, private readonly source: string) {
    const root = new ICAL.Component(ICAL.parse(text));
    this.events = root.getAllSubcomponents('vevent').map((v) => new ICAL.Event(v));
  }

  get eventCount(): number {
    return this.events.length;
  }

  freezesOverlapping(year: number): readonly Freeze[] {
    const range = wallYear(year);
    const out: Freeze[] = [];
    for (const event of this.events) {
      const name = event.summary || this.source;
      const rule = `freeze:${name}`;
      const tzid = (event.component.getFirstProperty('dtstart')?.getParameter('tzid') as string | undefined) ?? null;
      const zone = tzid && isValidZone(tzid) ? new Zone(tzid) : null;
      const iterator = event.iterator();
      for (let n = 0, next = iterator.next(); next && n < MAX_OCCURRENCES; n++, next = iterator.next()) {
        const { startDate, endDate } = event.getOccurrenceDetails(next);
        const start = wallOf(startDate);
        if (start >= range.end + 14 * HOUR) break;
        let end = wallOf(endDate);
        if (startDate.isDate && end <= start) end = start + DAY;
        if (end <= start) continue;
        let freeze: Freeze;
        if (startDate.zone?.tzid === 'UTC') freeze = { basis: 'instant', start, end, rule, name };
        else if (zone) freeze = { basis: 'instant', start: zone.instantOf(start), end: zone.instantOf(end), rule, name };
        else freeze = { basis: 'wall', start, end, rule, name };
        if (freeze.end > range.start - 14 * HOUR && freeze.start < range.end + 14 * HOUR) out.push(freeze);
      }
    }
    return out;
  }
}

/** The date-time as written, as wall-clock milliseconds (UTC times come out as instants). */
function wallOf(time: IcalTime): WallTime {
  return Date.UTC(time.year, time.month - 1, time.day, time.isDate ? 0 : time.hour, time.isDate ? 0 : time.minute, time.isDate ? 0 : time.second);
}
