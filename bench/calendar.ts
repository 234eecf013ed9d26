/**
 * Calendar speed: one decision, and next_open from inside a long freeze, on a calendar
 * with a year of dated, weekly (cron) and iCalendar freezes plus public holidays. Each
 * figure is printed next to its target and, as a baseline measured in the same run,
 * next to the same work done the old way: one Intl date formatting per offset needed,
 * instead of the zone's table of offset changes.
 *
 *   npx tsx bench/calendar.ts
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileCalendar } from '../src/config/load-calendars.js';
import { Calendar } from '../src/domain/calendar/calendar.js';
import { BERLIN_OFFICE } from '../test/support/calendars.js';
import { IntlZone } from '../test/support/intl-zone.js';

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

/** The same calendar, the old way: one Intl formatting per offset needed. */
const baseline = new Calendar(calendar.name, new IntlZone(calendar.zone.name), calendar.windows, calendar.sources);

/** Microseconds per run; one full pass first, so the years' freezes and offset tables are built before timing. */
function timePer(rounds: number, run: (i: number) => unknown): number {
  for (let i = 0; i < rounds; i++) run(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) run(i);
  return Number(process.hrtime.bigint() - start) / 1e3 / rounds;
}

const base = Date.UTC(2026, 2, 1);
const step = 37 * 60_000; // walk through the year at odd minutes
const cases: { label: string; rounds: number; targetMicros: number | null; run: (c: Calendar, i: number) => unknown }[] = [
  { label: 'decide(instant)', rounds: 20_000, targetMicros: 20, run: (c, i) => c.decide(base + i * step) },
  { label: 'next_open from inside the year-end freeze', rounds: 200, targetMicros: 1_000, run: (c, i) => c.nextChange(Date.UTC(2026, 11, 19) + i * step, true) },
  { label: 'next_open from a weekday evening', rounds: 2_000, targetMicros: null, run: (c, i) => c.nextChange(Date.UTC(2026, 5, 2, 18) + (i % 7) * 86_400_000, true) },
  { label: 'next_close from inside a window', rounds: 2_000, targetMicros: null, run: (c, i) => c.nextChange(Date.UTC(2026, 5, 2, 9) + (i % 3) * 86_400_000, false) },
];

console.log(`${''.padEnd(42)} ${'now'.padStart(10)} ${'old way'.padStart(11)} ${'old/now'.padStart(8)} ${'target'.padStart(10)} ${'now/target'.padStart(11)}`);
for (const { label, rounds, targetMicros, run } of cases) {
  const old = timePer(rounds, (i) => run(baseline, i));
  const now = timePer(rounds, (i) => run(calendar, i));
  const target = targetMicros === null ? '—' : `${targetMicros} µs`;
  const ratio = targetMicros === null ? '—' : `${(now / targetMicros).toFixed(2)}x`;
  console.log(`${label.padEnd(42)} ${now.toFixed(2).padStart(7)} µs ${old.toFixed(2).padStart(8)} µs ${`${(old / now).toFixed(1)}x`.padStart(8)} ${target.padStart(10)} ${ratio.padStart(11)}`);
}
console.log('now/target at most 1.00x meets the target; old/now is the speed-up over the old way, measured in this run.');
