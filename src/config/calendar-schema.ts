import { z } from 'zod';
import { duration } from './duration.js';
import { CronFreeze } from '../domain/calendar/cron-freeze.js';
import { HolidayFreeze } from '../domain/calendar/holiday-freeze.js';
import { isValidZone } from '../domain/calendar/zone.js';
import { WEEKDAYS } from '../domain/calendar/calendar.js';

const clock = z
  .string()
  .regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'expected a local time such as "09:00" (quote it in YAML)')
  .refine((t) => t <= '24:00', 'expected a time no later than 24:00')
  .transform((t) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5)));

/** A local date-time without offset, such as 2026-12-18T00:00; read in the calendar's zone. */
const localDateTime = z
  .union([z.string(), z.date()])
  .transform((value, ctx) => {
    const text = value instanceof Date ? value.toISOString().slice(0, 16) : value;
    const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
    const [, y, mo, d, h = '00', mi = '00', s = '00'] = match ?? [];
    const wall = match ? Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) : NaN;
    if (!match || Number.isNaN(wall) || new Date(wall).getUTCDate() !== Number(d) || Number(h) > 23) {
      ctx.addIssue({ code: 'custom', message: `expected a local date-time such as 2026-12-18T09:00, got "${text}"` });
      return z.NEVER;
    }
    return wall;
  });

const cron = z.string().superRefine((expression, ctx) => {
  try {
    CronFreeze.validate(expression);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `not a cron expression: ${(error as Error).message}` });
  }
});

const window = z
  .object({
    days: z.array(z.enum(WEEKDAYS, { error: `expected a day: ${WEEKDAYS.join(', ')}` })).min(1),
    start: clock,
    end: clock,
  })
  .strict()
  .refine((w) => w.start !== w.end, { message: 'start and end are the same time; a window needs a length', path: ['end'] });

/** Break-glass: who may still deploy during the freeze, by Slack user id (U…/W…) or user group id (S…). */
const allow = z.array(z.string().regex(/^[UWS][A-Z0-9]+$/, 'expected a Slack user id (U…) or user group id (S…)')).default([]);

const datedFreeze = z
  .object({ name: z.string().min(1), start: localDateTime, end: localDateTime, allow })
  .strict()
  .refine((f) => f.end > f.start, { message: 'the freeze ends before it starts', path: ['end'] });

const cronFreeze = z.object({ name: z.string().min(1), cron_start: cron, cron_end: cron, allow }).strict();

export const calendarSchema = z
  .object({
    timezone: z.string().refine(isValidZone, 'expected an IANA time zone such as Europe/Berlin'),
    windows: z.array(window).default([]),
    freezes: z
      .array(z.union([datedFreeze, cronFreeze], { error: 'expected a freeze with name and start/end, or name and cron_start/cron_end' }))
      .default([]),
    holidays: z
      .object({ country: z.string().regex(/^[A-Z]{2}$/, 'expected an ISO country code such as DE'), region: z.string().optional() })
      .strict()
      .refine((h) => HolidayFreeze.isSupported(h.country, h.region), { message: 'date-holidays knows no such country or region' })
      .optional(),
    ics: z.array(z.string().min(1)).default([]),
    /** How long before each freeze starts a notice goes to the environment's channel; absent: no notices. */
    freeze_notice: duration.optional(),
  })
  .strict();

export type CalendarConfig = z.output<typeof calendarSchema>;
