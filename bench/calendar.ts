/**
 * Calendar speed: one decision, and next_open from inside a long freeze, on a calendar
 * with a year of dated, weekly (cron) and iCalendar freezes plus public holidays. The
 * baseline, measured in the same run, is one bare Intl wall-clock conversion, the
 * smallest step any zone-correct decision must take.
 *
 *   npx tsx bench/calendar.ts
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileCalendar } from '../src/config/load-calendars.js';
import { Zone } from '../src/domain/calendar/zone.js';
import { BERLIN_OFFICE } from '../test/support/calendars.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-calendar-'));
const events: string[] = [];
for (let week = 0; week < 52; week++) {
  const day = new Date(Date.UTC(2026, 0, 5 + week * 7));
  const stamp = day.toISOString().slice(0, 10).replace(/-/g, '');
  events.push('BEGIN:VEVENT', `UID:e${week}`, `SUMMARY:Event ${week}`, `DTSTART;TZID=Europe/Berlin:${stamp}T120000`, `DTEND;TZID=Europe/Berlin:${stamp}T140000`, 'END:VEVENT');
}
writeFileSync(join(dir, 'year.ics'), ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//bench//EN', ...events, 'END:VCALENDAR'].join('\r\n'));
const dated = Array.from({ length: 24 }, (_, i) => `  - name: Dated ${i}\n    start: 2026-${String((i % 12) + 1).padStart(2, '0')}-${i < 12 ? '03' : '20'}T10:00\n    end: 2026-${String((i % 12) + 1).padStart(2, '0')}-${i < 12 ? '04' : '21'}T10:00`).join('\n');
const { calendar } = compileCalendar(
  `${BERLIN_OFFICE.replace('freezes:\n', `freezes:\n${dated}\n`)}ics: [year.ics]\n`,
  'bench.yml',
  dir,
  'bench',
);

function timePer(label: string, rounds: number, run: (i: number) => unknown): number {
  for (let i = 0; i < Math.min(rounds, 200); i++) run(i); // warm up, fill caches
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) run(i);
  const micros = Number(process.hrtime.bigint() - start) / 1e3 / rounds;
  console.log(`${label.padEnd(46)} ${micros.toFixed(2).padStart(9)} µs`);
  return micros;
}

const zone = new Zone('Europe/Berlin');
const base = Date.UTC(2026, 2, 1);
const step = 37 * 60_000; // walk through the year at odd minutes
const conversion = timePer('baseline: one Intl wall-clock conversion', 20_000, (i) => zone.wallOf(base + i * step));
const decision = timePer('decide(instant)', 20_000, (i) => calendar.decide(base + i * step));
const nextOpenFrozen = timePer('next_open from inside the year-end freeze', 200, (i) => calendar.nextChange(Date.UTC(2026, 11, 19) + i * step, true));
const nextOpenEvening = timePer('next_open from a weekday evening', 2_000, (i) => calendar.nextChange(Date.UTC(2026, 5, 2, 18) + (i % 7) * 86_400_000, true));
const nextClose = timePer('next_close from inside a window', 2_000, (i) => calendar.nextChange(Date.UTC(2026, 5, 2, 9) + (i % 3) * 86_400_000, false));
console.log(`ratios to one conversion: decide ${(decision / conversion).toFixed(1)}x, next_open (freeze) ${(nextOpenFrozen / conversion).toFixed(0)}x, next_open (evening) ${(nextOpenEvening / conversion).toFixed(0)}x, next_close ${(nextClose / conversion).toFixed(0)}x`);
