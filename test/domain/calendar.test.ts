import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCalendar } from '../../src/config/load-calendars.js';
import type { Calendar } from '../../src/domain/calendar/calendar.js';
import { BERLIN_OFFICE } from '../support/calendars.js';

/**
 * Every expectation here is written once and must hold under each host time zone:
 * the process's own TZ must never change an answer.
 */
const HOST_ZONES = [
  { tz: 'UTC', offsetJan: 0 },
  { tz: 'America/Los_Angeles', offsetJan: 480 },
  { tz: 'Asia/Kolkata', offsetJan: -330 },
];

function calendar(yaml: string): Calendar {
  return compileCalendar(yaml, 'test.yml', '.', 'test').calendar;
}

const at = (iso: string) => Date.parse(iso);
const iso = (c: Calendar, instant: number | null) => (instant === null ? null : c.zone.isoOf(instant));
function answer(c: Calendar, when: string) {
  const t = at(when);
  const d = c.decide(t);
  return { open: d.open, rule: d.rule, next_open: iso(c, d.open ? null : c.nextChange(t, true)), next_close: iso(c, d.open ? c.nextChange(t, false) : null) };
}


describe.each(HOST_ZONES)('release calendars with the host in $tz', ({ tz, offsetJan }) => {
  const original = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = tz;
  });
  afterAll(() => {
    process.env.TZ = original;
  });

  it('really runs with that host zone', () => {
    expect(new Date(Date.UTC(2026, 0, 1)).getTimezoneOffset()).toBe(offsetJan);
  });

  it('opens inside a window and closes at its end, in the calendar zone', () => {
    const c = calendar(BERLIN_OFFICE);
    expect(answer(c, '2026-11-24T10:00:00Z')).toEqual({ open: true, rule: 'window:0', next_open: null, next_close: '2026-11-24T17:00:00+01:00' });
    expect(answer(c, '2026-11-24T16:00:00Z')).toEqual({ open: false, rule: null, next_open: '2026-11-25T09:00:00+01:00', next_close: null });
    // Friday is outside the windows; Monday 09:00 is the next opening (the weekend freeze ends at 08:00).
    expect(answer(c, '2026-11-27T10:00:00Z')).toEqual({ open: false, rule: null, next_open: '2026-11-30T09:00:00+01:00', next_close: null });
  });

  it('lets a dated freeze win over windows, and names it', () => {
    const c = calendar(BERLIN_OFFICE);
    expect(c.decide(at('2026-12-21T10:00:00Z'))).toEqual({ open: false, reason: 'freeze: Year-end freeze', rule: 'freeze:Year-end freeze' });
    expect(answer(c, '2026-12-21T10:00:00Z').next_open).toBe('2027-01-04T09:00:00+01:00');
    // Just before the freeze: open, and it closes at the freeze, not at 17:00.
    expect(answer(c, '2026-12-17T22:00:00Z')).toMatchObject({ open: false, rule: null });
    expect(answer(c, '2026-12-17T15:00:00Z')).toEqual({ open: true, rule: 'window:0', next_open: null, next_close: '2026-12-17T17:00:00+01:00' });
  });

  it('freezes public holidays for the whole local day', () => {
    const c = calendar('timezone: Europe/Berlin\nholidays: { country: DE, region: BE }\n');
    expect(c.decide(at('2026-10-02T21:59:59Z')).open).toBe(true);
    expect(c.decide(at('2026-10-02T22:00:00Z'))).toMatchObject({ open: false, rule: 'holiday:National Holiday' });
    expect(answer(c, '2026-10-03T12:00:00Z').next_open).toBe('2026-10-04T00:00:00+02:00');
    // International Women's Day is a public holiday in Berlin only.
    expect(c.decide(at('2027-03-08T10:00:00Z')).rule).toBe("holiday:International Women's Day");
    const bavaria = calendar('timezone: Europe/Berlin\nholidays: { country: DE, region: BY }\n');
    expect(bavaria.decide(at('2027-03-08T10:00:00Z')).open).toBe(true);
  });

  it('handles windows that cross midnight', () => {
    const c = calendar('timezone: America/New_York\nwindows:\n  - days: [fri]\n    start: "22:00"\n    end: "02:00"\n');
    expect(c.decide(at('2026-11-28T03:30:00Z')).open).toBe(true); // Fri 22:30 EST
    expect(c.decide(at('2026-11-28T06:59:00Z')).open).toBe(true); // Sat 01:59
    expect(c.decide(at('2026-11-28T07:00:00Z')).open).toBe(false); // Sat 02:00
    expect(c.decide(at('2026-11-27T06:30:00Z')).open).toBe(false); // Fri 01:30: Thursday has no window
    expect(answer(c, '2026-11-28T07:00:00Z').next_open).toBe('2026-12-04T22:00:00-05:00');
  });

  it('is never open at wall-clock times a spring-forward skips (Europe/Berlin)', () => {
    const c = calendar('timezone: Europe/Berlin\nwindows:\n  - days: [sun]\n    start: "02:00"\n    end: "02:30"\n');
    // 2026-03-29 02:00–03:00 does not exist in Berlin.
    for (let t = at('2026-03-29T00:00:00Z'); t < at('2026-03-29T03:00:00Z'); t += 60_000) expect(c.decide(t).open).toBe(false);
    expect(answer(c, '2026-03-28T12:00:00Z').next_open).toBe('2026-04-05T02:00:00+02:00');
  });

  it('is open both times through a repeated fall-back hour (America/New_York)', () => {
    const c = calendar('timezone: America/New_York\nwindows:\n  - days: [sun]\n    start: "01:15"\n    end: "01:45"\n');
    // 2026-11-01 01:00–02:00 happens twice in New York: EDT then EST.
    expect(c.decide(at('2026-11-01T05:30:00Z')).open).toBe(true); // 01:30 EDT
    expect(c.decide(at('2026-11-01T06:00:00Z')).open).toBe(false); // 01:00 EST, before 01:15 again
    expect(c.decide(at('2026-11-01T06:30:00Z')).open).toBe(true); // 01:30 EST
    expect(answer(c, '2026-11-01T05:30:00Z').next_close).toBe('2026-11-01T01:45:00-04:00');
    expect(answer(c, '2026-11-01T05:50:00Z').next_open).toBe('2026-11-01T01:15:00-05:00');
  });

  it('follows the 30-minute DST shift of Australia/Lord_Howe', () => {
    const c = calendar('timezone: Australia/Lord_Howe\nwindows:\n  - days: [sun]\n    start: "02:00"\n    end: "03:00"\n');
    // 2026-10-04: 02:00 jumps to 02:30 (+10:30 → +11:00), so the window opens at 02:30 local.
    expect(answer(c, '2026-10-03T12:00:00Z').next_open).toBe('2026-10-04T02:30:00+11:00');
    // 2026-04-05: 02:00 falls back to 01:30 (+11:00 → +10:30); 02:00–03:00 happens once, after the repeat.
    expect(answer(c, '2026-04-04T12:00:00Z').next_open).toBe('2026-04-05T02:00:00+10:30');
    expect(answer(c, '2026-04-04T15:10:00Z')).toMatchObject({ open: false }); // 01:40 local, the second time round
    expect(answer(c, '2026-04-04T15:40:00Z')).toMatchObject({ open: true, next_close: '2026-04-05T03:00:00+10:30' }); // 02:10 local
  });

  it('matches cron freezes against local wall-clock time across DST', () => {
    const c = calendar('timezone: Europe/Berlin\nfreezes:\n  - name: Nightly\n    cron_start: "0 22 * * *"\n    cron_end: "0 6 * * *"\n');
    // Both sides of the October change: 22:00 local is 20:00Z in summer, 21:00Z in winter.
    expect(c.decide(at('2026-10-24T20:00:00Z'))).toMatchObject({ open: false, rule: 'freeze:Nightly' });
    expect(c.decide(at('2026-10-25T20:30:00Z')).open).toBe(true);
    expect(c.decide(at('2026-10-25T21:00:00Z')).open).toBe(false);
    expect(answer(c, '2026-10-25T21:00:00Z').next_open).toBe('2026-10-26T06:00:00+01:00');
  });

  it('treats every iCalendar event as a freeze, with RRULE, EXDATE and TZID', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'ics-'));
    writeFileSync(
      join(dir, 'company.ics'),
      [
        'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN',
        'BEGIN:VEVENT', 'UID:demo', 'SUMMARY:Board demo', 'DTSTART;TZID=America/New_York:20261201T090000', 'DTEND;TZID=America/New_York:20261201T110000',
        'RRULE:FREQ=WEEKLY;COUNT=4', 'EXDATE;TZID=America/New_York:20261208T090000', 'END:VEVENT',
        'BEGIN:VEVENT', 'UID:day', 'SUMMARY:Inventory day', 'DTSTART;VALUE=DATE:20261130', 'DTEND;VALUE=DATE:20261201', 'END:VEVENT',
        'BEGIN:VEVENT', 'UID:utc', 'SUMMARY:Provider maintenance', 'DTSTART:20261202T230000Z', 'DTEND:20261203T010000Z', 'END:VEVENT',
        'END:VCALENDAR',
      ].join('\r\n'),
    );
    const c = compileCalendar('timezone: Europe/Berlin\nics: [company.ics]\n', 'test.yml', dir, 'test').calendar;
    expect(c.decide(at('2026-12-01T14:30:00Z'))).toMatchObject({ open: false, rule: 'freeze:Board demo' }); // 09:30 New York
    expect(c.decide(at('2026-12-08T14:30:00Z')).open).toBe(true); // the EXDATE
    expect(c.decide(at('2026-12-15T14:30:00Z')).open).toBe(false);
    expect(c.decide(at('2026-12-22T14:30:00Z')).open).toBe(false); // COUNT=4 counts the excluded date: 1, 15, 22
    expect(c.decide(at('2026-12-29T14:30:00Z')).open).toBe(true);
    expect(c.decide(at('2026-11-30T12:00:00Z'))).toMatchObject({ open: false, rule: 'freeze:Inventory day' });
    expect(c.decide(at('2026-11-30T23:00:00Z')).open).toBe(true); // Berlin's Dec 1 has begun
    expect(c.decide(at('2026-12-03T00:30:00Z'))).toMatchObject({ open: false, rule: 'freeze:Provider maintenance' });
    expect(answer(c, '2026-12-01T14:30:00Z').next_open).toBe('2026-12-01T17:00:00+01:00');
  });

  it('looks a year ahead, and answers null beyond', () => {
    const c = calendar('timezone: UTC\nfreezes:\n  - name: Long\n    start: 2026-01-01T00:00\n    end: 2028-06-01T00:00\n');
    expect(answer(c, '2026-06-01T00:00:00Z').next_open).toBeNull();
    const shorter = calendar('timezone: UTC\nfreezes:\n  - name: Long\n    start: 2026-01-01T00:00\n    end: 2027-05-01T00:00\n');
    expect(answer(shorter, '2026-06-01T00:00:00Z').next_open).toBe('2027-05-01T00:00:00+00:00');
  });

  it('finds next_open exactly: open, in no freeze, and nothing open before it (property, minute resolution)', () => {
    const zones = fc.constantFrom('Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata');
    const days = fc.subarray(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], { minLength: 1 });
    const minute = fc.integer({ min: 0, max: 24 * 60 - 1 });
    const hhmm = (m: number) => `"${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}"`;
    const window = fc.tuple(days, minute, fc.integer({ min: 15, max: 600 })).map(([d, s, len]) => `  - days: [${d.join(', ')}]\n    start: ${hhmm(s)}\n    end: ${hhmm((s + len) % 1440)}`);
    const freeze = fc.tuple(fc.integer({ min: 0, max: 40 * 24 }), fc.integer({ min: 1, max: 72 })).map(([startHour, hours]) => {
      const start = new Date(Date.UTC(2026, 9, 20) + startHour * 3_600_000);
      const end = new Date(start.getTime() + hours * 3_600_000);
      const local = (d: Date) => d.toISOString().slice(0, 16);
      return `  - name: F${startHour}h${hours}\n    start: ${local(start)}\n    end: ${local(end)}`;
    });
    fc.assert(
      fc.property(zones, fc.array(window, { minLength: 1, maxLength: 3 }), fc.array(freeze, { maxLength: 4 }), fc.integer({ min: 0, max: 30 * 24 * 60 }), (zone, windows, freezes, offsetMinutes) => {
        const c = calendar(`timezone: ${zone}\nwindows:\n${windows.join('\n')}\n${freezes.length ? `freezes:\n${freezes.join('\n')}\n` : ''}`);
        const from = Date.UTC(2026, 9, 20) + offsetMinutes * 60_000;
        if (c.decide(from).open) return;
        const next = c.nextChange(from, true, 21 * 24 * 3_600_000);
        if (next === null) {
          for (let t = from; t < from + 21 * 24 * 3_600_000; t += 60_000) expect(c.decide(t).open).toBe(false);
          return;
        }
        expect(c.decide(next).open).toBe(true);
        expect(c.freezeAt(next)).toBeNull();
        for (let t = from; t < next; t += 60_000) expect(c.decide(t).open).toBe(false);
      }),
      { numRuns: 40 },
    );
  });
});
