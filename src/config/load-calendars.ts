import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { Calendar } from '../domain/calendar/calendar.js';
import { CronFreeze } from '../domain/calendar/cron-freeze.js';
import { DatedFreeze, type FreezeSource } from '../domain/calendar/freeze.js';
import { HolidayFreeze } from '../domain/calendar/holiday-freeze.js';
import { IcsFreeze } from '../domain/calendar/ics-freeze.js';
import { Zone } from '../domain/calendar/zone.js';
import { calendarSchema } from './calendar-schema.js';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { parseYamlWith } from './load-yaml.js';
import type { ShipgateConfig } from './schema.js';

/** The calendar file of an environment: `calendar: NAME` on it, else its own name. */
export function calendarFileFor(config: ShipgateConfig, dir: string, environment: string): { file: string; explicit: boolean } {
  return calendarFileNamed(dir, environment, config.environments[environment]?.calendar);
}

function calendarFileNamed(dir: string, environment: string, named: string | undefined): { file: string; explicit: boolean } {
  return { file: join(dir, `${named ?? environment}.yml`), explicit: named !== undefined };
}

/**
 * Every calendar file the environments imply, each read and validated on its own, with every
 * problem of every file; works from a configuration that is itself invalid, so its problems and
 * the calendars' come out in one run.
 */
export function checkCalendars(environments: Readonly<Record<string, { calendar?: string | undefined }>>, dir: string): { files: string[]; problems: ConfigProblem[] } {
  const files: string[] = [];
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const [environment, { calendar }] of Object.entries(environments)) {
    const { file, explicit } = calendarFileNamed(dir, environment, calendar);
    if (seen.has(file)) continue;
    seen.add(file);
    if (!exists(file)) {
      if (explicit) problems.push({ file, line: null, path: '', message: `environment ${environment} names calendar "${calendar}", but there is no such file` });
      continue;
    }
    try {
      loadCalendar(file, dir, environment);
      files.push(file);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  return { files, problems };
}

function exists(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Reads, validates and compiles one calendar file, with the `.ics` files it names. */
export function loadCalendar(file: string, dir: string, name: string): { calendar: Calendar; files: string[] } {
  return compileCalendar(readFileSync(file, 'utf8'), file, dir, name);
}

/** Validates and compiles calendar text; `.ics` files are read relative to `dir`. */
export function compileCalendar(text: string, file: string, dir: string, name: string): { calendar: Calendar; files: string[] } {
  const parsed = parseYamlWith(calendarSchema, text, file, {});
  const zone = new Zone(parsed.timezone);
  const sources: FreezeSource[] = [];
  for (const f of parsed.freezes) {
    if ('cron_start' in f) sources.push(new CronFreeze(f.name, f.cron_start, f.cron_end, f.allow));
    else sources.push(new DatedFreeze({ basis: 'wall', start: f.start, end: f.end, rule: `freeze:${f.name}`, name: f.name, ...(f.allow.length > 0 ? { allow: f.allow } : {}) }));
  }
  const allowed = [...new Set(parsed.freezes.flatMap((f) => f.allow))];
  if (parsed.holidays) sources.push(new HolidayFreeze(parsed.holidays.country, parsed.holidays.region));
  const files = [file];
  const problems: ConfigProblem[] = [];
  for (const [index, ics] of parsed.ics.entries()) {
    const path = join(dir, ics);
    files.push(path);
    try {
      sources.push(new IcsFreeze(readFileSync(path, 'utf8'), ics));
    } catch (error) {
      const line = lineOfPath(text, ['ics', index]);
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? `cannot read ${path}: no such file` : `${ics} is not valid iCalendar: ${(error as Error).message}`;
      problems.push({ file, line, path: `ics.${index}`, message: reason });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { calendar: new Calendar(name, zone, parsed.windows, sources, { allowed, noticeMs: parsed.freeze_notice ?? null }), files };
}

function lineOfPath(text: string, path: (string | number)[]): number | null {
  const doc = parseDocument(text, { keepSourceTokens: false });
  const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
  if (!node?.range) return null;
  return text.slice(0, node.range[0]).split('\n').length;
}

/**
 * The calendar of each environment, read again whenever one of its files changes,
 * so a freeze added to a file holds back promotions already scheduled. A file that
 * becomes invalid keeps the last good calendar in force, and says so.
 */
export class CalendarSource {
  private readonly loaded = new Map<string, { calendar: Calendar; files: string[]; stamp: string }>();

  constructor(
    private readonly config: ShipgateConfig,
    private readonly dir: string,
    private readonly onReloadError: (environment: string, error: Error) => void = () => undefined,
  ) {}

  /** Loads every calendar once, throwing ConfigError with file and line on the first invalid one. */
  checkAll(): void {
    const problems = [];
    for (const env of Object.keys(this.config.environments)) {
      try {
        this.calendarFor(env, true);
      } catch (error) {
        if (error instanceof ConfigError) problems.push(...error.problems);
        else throw error;
      }
    }
    if (problems.length > 0) throw new ConfigError(problems);
  }

  calendarFor(environment: string, strict = false): Calendar | null {
    const { file, explicit } = calendarFileFor(this.config, this.dir, environment);
    if (!exists(file)) {
      if (explicit) throw new ConfigError([{ file, line: null, path: '', message: `environment ${environment} names calendar "${this.config.environments[environment]?.calendar}", but there is no such file` }]);
      this.loaded.delete(environment);
      return null;
    }
    const previous = this.loaded.get(environment);
    const stamp = previous ? stampOf(previous.files) : '';
    if (previous && stamp === previous.stamp) return previous.calendar;
    try {
      const fresh = loadCalendar(file, this.dir, environment);
      this.loaded.set(environment, { ...fresh, stamp: stampOf(fresh.files) });
      return fresh.calendar;
    } catch (error) {
      if (strict || !previous) throw error;
      this.onReloadError(environment, error as Error);
      return previous.calendar;
    }
  }
}

function stampOf(files: string[]): string {
  return files
    .map((f) => {
      try {
        const s = statSync(f);
        return `${s.mtimeMs}:${s.size}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}
