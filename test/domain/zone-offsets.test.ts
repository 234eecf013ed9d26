import dayjs from 'dayjs';
import timezone from 'dayjs/plugin/timezone.js';
import utc from 'dayjs/plugin/utc.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Calendar, WEEKDAYS } from '../../src/domain/calendar/calendar.js';
import { Zone } from '../../src/domain/calendar/zone.js';
import { IntlZone } from '../support/intl-zone.js';

dayjs.extend(utc);
dayjs.extend(timezone);

/**
 * The zone's offset table replaces one Intl formatting per conversion; these properties
 * are what make that safe: around every DST change of zones with whole-hour, half-hour
 * (Lord Howe) and no DST (Kolkata), the table answers what Intl answers under any host
 * zone, and what dayjs.tz answers on a UTC host. (On other hosts dayjs.tz leaks the host's
 * DST: with the host in Australia/Lord_Howe it shows 1981-10-25T07:00Z in New York as
 * 03:00 instead of 02:00 EST, which is why nothing in src/ converts with it.)
 */
const ZONES = ['Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata'] as const;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const dayjsWall = (instant: number, zone: string) => dayjs(instant).tz(zone).format('YYYY-MM-DDTHH:mm:ss');
const wallIso = (wall: number) => new Date(wall).toISOString().slice(0, 19);

/** An instant within three hours of one of the zone's offset changes in a year from 1975 to 2045 (any instant of the year when it has none). */
const nearAChange = fc
  .record({ zone: fc.constantFrom(...ZONES), year: fc.integer({ min: 1975, max: 2045 }), pick: fc.nat(), delta: fc.integer({ min: -3 * HOUR, max: 3 * HOUR }), anywhere: fc.integer({ min: 0, max: 365 * DAY }) })
  .map(({ zone, year, pick, delta, anywhere }) => {
    const start = Date.UTC(year, 0, 1);
    const changes = new Zone(zone).transitionsBetween(start, Date.UTC(year + 1, 0, 1));
    return { zone, instant: changes.length > 0 ? changes[pick % changes.length]! + delta : start + anywhere };
  });

/** The host's own zone must not change an answer. */
describe.each(['UTC', 'America/Los_Angeles', 'Australia/Lord_Howe'])('zone offset tables with the host in %s', (tz) => {
  const original = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = tz;
  });
  afterAll(() => {
    process.env.TZ = original;
  });

  it('give the offset and wall-clock time Intl gives, around DST changes', () => {
    fc.assert(
      fc.property(nearAChange, ({ zone, instant }) => {
        const z = new Zone(zone);
        expect(z.offsetAt(instant)).toBe(new IntlZone(zone).offsetAt(instant));
        expect(z.wallOf(instant)).toBe(new IntlZone(zone).wallOf(instant));
      }),
      { numRuns: 120 },
    );
  });

  it('map a wall-clock time back to the instants Intl maps it to, and list the changes Intl finds', () => {
    fc.assert(
      fc.property(nearAChange, fc.integer({ min: -90, max: 90 }), fc.integer({ min: 1, max: 20 }), ({ zone, instant }, minutes, days) => {
        const z = new Zone(zone);
        const wall = Math.floor(z.wallOf(instant) / 60_000) * 60_000 + minutes * 60_000;
        expect(z.instantsOf(wall)).toEqual(new IntlZone(zone).instantsOf(wall));
        expect(z.instantOf(wall)).toBe(new IntlZone(zone).instantOf(wall));
        const from = Math.floor((instant - 2 * DAY) / 1000) * 1000;
        expect(z.transitionsBetween(from, from + days * DAY)).toEqual(new IntlZone(zone).transitionsBetween(from, from + days * DAY));
      }),
      { numRuns: 60 },
    );
  });
});

describe('zone offset tables against dayjs.tz, on a UTC host', () => {
  const original = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = 'UTC';
  });
  afterAll(() => {
    process.env.TZ = original;
  });

  it('give the offset and wall-clock time dayjs.tz gives, around DST changes', () => {
    fc.assert(
      fc.property(nearAChange, ({ zone, instant }) => {
        const z = new Zone(zone);
        expect(z.offsetAt(instant) / 60_000).toBe(dayjs(instant).tz(zone).utcOffset());
        expect(wallIso(z.wallOf(instant))).toBe(dayjsWall(instant, zone));
      }),
      { numRuns: 200 },
    );
  });

  it('map a wall-clock time back to exactly the instants dayjs.tz shows at it: none in a gap, two in an overlap', () => {
    fc.assert(
      fc.property(nearAChange, fc.integer({ min: -90, max: 90 }), ({ zone, instant }, minutes) => {
        const z = new Zone(zone);
        const wall = Math.floor(z.wallOf(instant) / 60_000) * 60_000 + minutes * 60_000;
        const instants = z.instantsOf(wall);
        for (const i of instants) expect(dayjsWall(i, zone)).toBe(wallIso(wall));
        // Every instant whose local time is `wall` lies within a day of it; dayjs finds them minute by minute near each offset.
        const expected = [...new Set([-14, -12, -10, -8, -6, -4, -2, 0, 2, 4, 6, 8, 10, 12, 14].map((h) => wall - dayjs(wall + h * HOUR).tz(zone).utcOffset() * 60_000))]
          .filter((i) => dayjsWall(i, zone) === wallIso(wall))
          .sort((a, b) => a - b);
        expect(instants).toEqual(expected);
        expect(new IntlZone(zone).instantsOf(wall)).toEqual(instants);
      }),
      { numRuns: 120 },
    );
  });

  it('list the offset changes dayjs.tz shows, to the second', () => {
    fc.assert(
      fc.property(nearAChange, fc.integer({ min: 1, max: 10 }), ({ zone, instant }, days) => {
        const from = Math.floor((instant - 2 * DAY) / 1000) * 1000;
        const to = from + days * DAY;
        const changes = new Zone(zone).transitionsBetween(from, to);
        const offset = (at: number) => dayjs(at).tz(zone).utcOffset();
        for (const at of changes) expect([offset(at - 1000), at >= from && at < to]).not.toEqual([offset(at), true]);
        // Between two listed changes (and the ends), dayjs sees one offset every three hours.
        const bounds = [from, ...changes, to];
        for (let i = 0; i + 1 < bounds.length; i++) {
          const seen = new Set<number>();
          for (let at = bounds[i]!; at < bounds[i + 1]!; at += 3 * HOUR) seen.add(offset(at));
          seen.add(offset(bounds[i + 1]! - 1000));
          expect(seen.size).toBe(1);
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('calendars on offset tables', () => {
  it('decide and find the next opening and closing as with one Intl conversion per step, across DST', () => {
    const window = fc
      .record({ days: fc.subarray([...WEEKDAYS], { minLength: 1 }), start: fc.integer({ min: 0, max: 1439 }), length: fc.integer({ min: 15, max: 600 }) })
      .map(({ days, start, length }) => ({ days, start, end: (start + length) % 1440 }));
    fc.assert(
      fc.property(nearAChange, fc.array(window, { minLength: 1, maxLength: 3 }), fc.integer({ min: -2 * DAY, max: 2 * DAY }), ({ zone, instant }, windows, shift) => {
        const fast = new Calendar('fast', new Zone(zone), windows, []);
        const reference = new Calendar('reference', new IntlZone(zone), windows, []);
        const at = instant + shift;
        expect(fast.decide(at)).toEqual(reference.decide(at));
        expect(fast.isOpen(at)).toBe(reference.decide(at).open);
        expect(fast.nextChange(at, true, 14 * DAY)).toBe(reference.nextChange(at, true, 14 * DAY));
        expect(fast.nextChange(at, false, 14 * DAY)).toBe(reference.nextChange(at, false, 14 * DAY));
      }),
      { numRuns: 80 },
    );
  });
});
