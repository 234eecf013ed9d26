import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { CalendarSource, compileCalendar } from '../../src/config/load-calendars.js';
import { parseConfig } from '../../src/config/load-config.js';

function problemOf(yaml: string, dir = '.'): string {
  try {
    compileCalendar(yaml, 'calendars/production.yml', dir, 'production');
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('the calendar was accepted');
}

describe('calendar files', () => {
  it.each([
    ['an unknown zone', 'timezone: Europe/Berlim\n', 'calendars/production.yml:1: timezone: expected an IANA time zone such as Europe/Berlin'],
    ['a bad time', 'timezone: UTC\nwindows:\n  - days: [mon]\n    start: "9am"\n    end: "17:00"\n', 'calendars/production.yml:4: windows.0.start: expected a local time such as "09:00"'],
    ['a bad day', 'timezone: UTC\nwindows:\n  - days: [monday]\n    start: "09:00"\n    end: "17:00"\n', 'calendars/production.yml:3: windows.0.days.0: expected a day: sun, mon'],
    ['a bad cron', 'timezone: UTC\nfreezes:\n  - name: Weekend\n    cron_start: "0 18 * * FRIDAY"\n    cron_end: "0 8 * * MON"\n', 'calendars/production.yml:4: freezes.0.cron_start: not a cron expression'],
    ['a dated freeze that ends before it starts', 'timezone: UTC\nfreezes:\n  - name: Oops\n    start: 2026-12-18T00:00\n    end: 2026-12-01T00:00\n', 'calendars/production.yml:5: freezes.0.end: the freeze ends before it starts'],
    ['an impossible date', 'timezone: UTC\nfreezes:\n  - name: Oops\n    start: 2026-02-30T00:00\n    end: 2026-03-01T00:00\n', 'calendars/production.yml:4: freezes.0.start: expected a local date-time such as 2026-12-18T09:00, got "2026-02-30T00:00"'],
    ['an unknown holiday country', 'timezone: UTC\nholidays: { country: XX }\n', 'calendars/production.yml:2: holidays: date-holidays knows no such country or region'],
    ['a missing timezone', 'windows: []\n', 'calendars/production.yml:1: timezone: expected a string'],
  ])('refuses %s with file, line and path', (_case, yaml, expected) => {
    expect(problemOf(yaml)).toContain(expected);
  });

  it('refuses an unreadable or invalid .ics, pointing at its line in the calendar file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cal-'));
    expect(problemOf('timezone: UTC\nics:\n  - missing.ics\n', dir)).toBe(`calendars/production.yml:3: ics.0: cannot read ${join(dir, 'missing.ics')}: no such file`);
    writeFileSync(join(dir, 'broken.ics'), 'BEGIN:VCALENDAR\nthis is not icalendar');
    expect(problemOf('timezone: UTC\nics: [broken.ics]\n', dir)).toMatch(/^calendars\/production\.yml:2: ics\.0: broken\.ics is not valid iCalendar: /);
  });

  it('reads a calendar again when its file changes, and keeps the last valid one when an edit breaks it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cal-'));
    const { config } = parseConfig('slack: { channel: C0DEPLOYS }\napps: { web: { executor: t } }\nenvironments: { production: {} }\nexecutors: { t: { type: webhook, url: "http://x", secret: "0123456789abcdef" } }\n', 'shipgate.yml', {});
    const errors: string[] = [];
    const source = new CalendarSource(config, dir, (env, error) => errors.push(`${env}: ${error.message}`));
    expect(source.calendarFor('production')).toBeNull();
    writeFileSync(join(dir, 'production.yml'), 'timezone: UTC\n');
    expect(source.calendarFor('production')?.decide(Date.UTC(2026, 11, 20)).open).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(join(dir, 'production.yml'), 'timezone: UTC\nfreezes:\n  - name: Added\n    start: 2026-12-19T00:00\n    end: 2026-12-21T00:00\n');
    expect(source.calendarFor('production')?.decide(Date.UTC(2026, 11, 20))).toMatchObject({ open: false, rule: 'freeze:Added' });
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(join(dir, 'production.yml'), 'timezone: Mars/Olympus\n');
    expect(source.calendarFor('production')?.decide(Date.UTC(2026, 11, 20)).rule).toBe('freeze:Added');
    expect(errors).toEqual([expect.stringMatching(/^production: .*production\.yml:1: timezone: expected an IANA time zone/) as string]);
  });

  it('requires the file an environment names with `calendar:`', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cal-'));
    const { config } = parseConfig('slack: { channel: C0DEPLOYS }\napps: { web: { executor: t } }\nenvironments: { production: { calendar: company } }\nexecutors: { t: { type: webhook, url: "http://x", secret: "0123456789abcdef" } }\n', 'shipgate.yml', {});
    expect(() => new CalendarSource(config, dir).checkAll()).toThrow(/company\.yml: environment production names calendar "company", but there is no such file/);
    writeFileSync(join(dir, 'company.yml'), 'timezone: Europe/Berlin\n');
    expect(() => new CalendarSource(config, dir).checkAll()).not.toThrow();
  });
});

describe('the example calendar', () => {
  it('is valid and reads its iCalendar file', () => {
    const { calendar, files } = compileCalendar(
      readFileSync('calendars/examples/production.yml', 'utf8'),
      'calendars/examples/production.yml',
      'calendars/examples',
      'production',
    );
    expect(files).toEqual(['calendars/examples/production.yml', join('calendars/examples', 'company-freezes.ics')]);
    expect(calendar.decide(Date.parse('2026-11-27T10:00:00Z'))).toMatchObject({ open: false, rule: 'freeze:Black Friday' });
    expect(calendar.decide(Date.parse('2026-09-30T10:00:00Z'))).toMatchObject({ open: false, rule: 'freeze:Quarter close' });
    expect(calendar.decide(Date.parse('2026-12-30T10:00:00Z')).rule).toBe('freeze:Year-end freeze');
  });
});
